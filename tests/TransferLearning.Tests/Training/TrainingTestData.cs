using TransferLearning.Training;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Training;

/// <summary>Small generated data and models for trainer tests.</summary>
internal static class TrainingTestData
{
    public static readonly string[] Classes = { "a", "b", "c" };

    /// <summary>A small resnet18 at 32 px with 3 classes, seeded.</summary>
    public static TransferModel Model(long seed = 1, int size = 32) => new TransferModelBuilder()
        .WithBackbone("resnet18").WithWeights(RandomWeights.Instance).WithInputSize(size).WithClasses(Classes).WithSeed(seed).Build();

    /// <summary>Images whose class is visible in their mean colour; optional NaN at one sample.</summary>
    public static TensorBatchSource Source(int count = 24, int batchSize = 8, bool shuffle = true, int seed = 3, int size = 32, int? nanAt = null, string? fingerprint = null)
    {
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator((ulong)(1234 + seed));
        var labels = arange(count, ScalarType.Int64) % Classes.Length;
        var images = randn(new long[] { count, 3, size, size }, generator: generator) * 0.5f;
        for (int i = 0; i < count; i++)
        {
            long c = labels[i].item<long>();
            images[i, c] += 1.5f;
        }

        if (nanAt is int n)
        {
            images[n, 0, 0, 0] = float.NaN;
        }

        return new TensorBatchSource(images, labels, Classes, batchSize, shuffle, seed, fingerprint);
    }

    public static Dictionary<string, float[]> State(TorchSharp.torch.nn.Module module)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, t) in module.state_dict())
        {
            if (t.dtype == ScalarType.Float32)
            {
                result[name] = t.detach().cpu().data<float>().ToArray();
            }
        }

        return result;
    }

    public static bool Same(float[] a, float[] b) => a.AsSpan().SequenceEqual(b);

    public static double MaxDiff(float[] a, float[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
