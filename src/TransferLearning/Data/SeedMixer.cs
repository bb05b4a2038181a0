namespace TransferLearning.Data;

/// <summary>Derives independent, reproducible random seeds from a base seed and a few integers (SplitMix64).</summary>
internal static class SeedMixer
{
    /// <summary>Mixes the values into one 64-bit hash.</summary>
    public static ulong Mix(long seed, long a, long b = 0, long c = 0)
    {
        ulong h = Step((ulong)seed ^ 0x9E3779B97F4A7C15UL);
        h = Step(h ^ (ulong)a);
        h = Step(h ^ (ulong)b);
        h = Step(h ^ (ulong)c);
        return h;
    }

    /// <summary>A <see cref="Random"/> seeded from the mixed values (System.Random with a seed is stable across runtimes).</summary>
    public static Random Create(long seed, long a, long b = 0, long c = 0) =>
        new((int)(Mix(seed, a, b, c) & 0x7FFFFFFF));

    private static ulong Step(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
