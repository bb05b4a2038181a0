namespace TransferLearning.Training;

/// <summary>
/// The bottleneck-feature cache: while the base is frozen and the training data is deterministic
/// (<see cref="Data.IBatchSource.IsDeterministic"/>), pooled base features are computed once and the head trains from
/// them.
/// </summary>
public sealed record FeatureCacheOptions
{
    /// <summary>Whether the cache is used when possible. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Largest cache kept in memory, in bytes; larger caches are written to <see cref="Directory"/>. Default 1 GiB.</summary>
    public long MaxMemoryBytes { get; init; } = 1L << 30;

    /// <summary>Folder of spilled caches (files are named by cache key and reused across runs). Default <c>&lt;temp&gt;/TransferLearning/feature-cache</c>.</summary>
    public string? Directory { get; init; }

    /// <summary>The folder used for spilled caches.</summary>
    public string ResolvedDirectory => Directory ?? Path.Combine(Path.GetTempPath(), "TransferLearning", "feature-cache");

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="MaxMemoryBytes"/> is negative.</exception>
    public void Validate() => ArgumentOutOfRangeException.ThrowIfNegative(MaxMemoryBytes, nameof(MaxMemoryBytes));
}
