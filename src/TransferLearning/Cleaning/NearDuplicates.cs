using static TorchSharp.torch;

namespace TransferLearning.Cleaning;

/// <summary>Pairs of feature vectors whose cosine similarity reaches a threshold (blocked matrix products, no n x n matrix in memory).</summary>
public static class NearDuplicates
{
    private const int BlockRows = 1024;

    /// <summary>Finds the pairs (i &lt; j) of rows with cosine similarity at or above <paramref name="threshold"/>.</summary>
    /// <param name="features">Row-major features <c>[n, featureSize]</c>.</param>
    /// <param name="featureSize">Feature size.</param>
    /// <param name="include">Per row: whether it takes part (skipped images do not).</param>
    /// <param name="threshold">Cosine similarity threshold, in (0, 1].</param>
    /// <param name="maxPairs">Most pairs returned (the most similar are kept).</param>
    /// <param name="cancellationToken">Cancels between blocks.</param>
    /// <returns>(i, j, similarity), most similar first.</returns>
    public static IReadOnlyList<(int A, int B, double Similarity)> Find(float[] features, int featureSize, IReadOnlyList<bool> include, double threshold, int maxPairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(include);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPairs);
        int n = include.Count;
        if ((long)n * featureSize != features.LongLength)
        {
            throw new ArgumentException($"Expected {n} x {featureSize} features, got {features.LongLength} values.", nameof(features));
        }

        var pairs = new List<(int A, int B, double Similarity)>();
        if (n < 2)
        {
            return pairs;
        }

        using var scope = NewDisposeScope();
        var all = tensor(features, new long[] { n, featureSize });
        var normalised = all / all.norm(1, keepdim: true).clamp_min(1e-12);
        var mask = tensor(include.ToArray());
        for (int start = 0; start < n; start += BlockRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var blockScope = NewDisposeScope();
            int rows = Math.Min(BlockRows, n - start);
            var block = normalised.narrow(0, start, rows);
            var similarity = block.matmul(normalised.t());

            // Keep j > i only, and rows/columns of included samples.
            var rowIndex = arange(start, start + rows, ScalarType.Int64).unsqueeze(1);
            var columnIndex = arange(0, n, ScalarType.Int64).unsqueeze(0);
            var keep = (columnIndex > rowIndex)
                .logical_and(similarity >= (float)threshold)
                .logical_and(mask.unsqueeze(0))
                .logical_and(mask.narrow(0, start, rows).unsqueeze(1));
            var hits = keep.nonzero();
            if (hits.shape[0] == 0)
            {
                continue;
            }

            long[] flat = hits.contiguous().data<long>().ToArray();
            float[] values = similarity.index(keep).contiguous().data<float>().ToArray();
            for (int h = 0; h < values.Length; h++)
            {
                pairs.Add((start + (int)flat[2 * h], (int)flat[(2 * h) + 1], Math.Min(1.0, values[h])));
            }
        }

        return pairs.OrderByDescending(p => p.Similarity).ThenBy(p => p.A).ThenBy(p => p.B).Take(maxPairs).ToArray();
    }
}
