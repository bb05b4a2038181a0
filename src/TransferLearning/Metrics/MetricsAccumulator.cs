using static TorchSharp.torch;

namespace TransferLearning.Metrics;

/// <summary>
/// Accumulates predictions batch by batch (confusion matrix, top-k hits, loss sum) and produces
/// <see cref="ClassificationMetrics"/>. Not thread-safe.
/// </summary>
public sealed class MetricsAccumulator
{
    private readonly long[,] confusion;
    private long topKHits;
    private double lossSum;
    private bool hasLoss;

    /// <summary>Creates an empty accumulator.</summary>
    /// <param name="classNames">Class names, in label order (at least 2).</param>
    /// <param name="topK">The k of the top-k accuracy; clamped to the class count. Default 5.</param>
    public MetricsAccumulator(IReadOnlyList<string> classNames, int topK = 5)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count < 2)
        {
            throw new ArgumentException("At least two classes are needed.", nameof(classNames));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topK);
        ClassNames = classNames.ToArray();
        TopK = Math.Min(topK, classNames.Count);
        confusion = new long[classNames.Count, classNames.Count];
    }

    /// <summary>Class names.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The k of the top-k accuracy.</summary>
    public int TopK { get; }

    /// <summary>Samples added so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds a batch of logits (or any scores) with their labels.</summary>
    /// <param name="scores">Scores <c>[N, classes]</c>.</param>
    /// <param name="labels">Labels <c>[N]</c>, int64.</param>
    /// <param name="batchLossSum">Sum (not mean) of the per-sample losses of the batch, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">Shapes do not match or a label is out of range.</exception>
    public void Add(Tensor scores, Tensor labels, double? batchLossSum = null)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        int c = ClassNames.Count;
        if (scores.dim() != 2 || scores.shape[1] != c || labels.shape[0] != scores.shape[0])
        {
            throw new ArgumentException($"Expected scores [N, {c}] and labels [N]; got [{string.Join(", ", scores.shape)}] and [{string.Join(", ", labels.shape)}].");
        }

        using var scope = NewDisposeScope();
        var s = scores.detach().cpu();
        long[] truth = labels.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
        long[] argmax = s.argmax(1).data<long>().ToArray();
        long[] top = s.topk(TopK, 1).indexes.contiguous().data<long>().ToArray();
        for (int i = 0; i < truth.Length; i++)
        {
            long t = truth[i];
            if (t < 0 || t >= c)
            {
                throw new ArgumentException($"Label {t} is outside [0, {c}).", nameof(labels));
            }

            confusion[t, argmax[i]]++;
            for (int k = 0; k < TopK; k++)
            {
                if (top[(i * TopK) + k] == t)
                {
                    topKHits++;
                    break;
                }
            }
        }

        Count += truth.Length;
        if (batchLossSum is double l)
        {
            this.lossSum += l;
            hasLoss = true;
        }
    }

    /// <summary>The metrics of everything added so far.</summary>
    public ClassificationMetrics ToMetrics() =>
        ClassificationMetrics.FromConfusion(ClassNames, (long[,])confusion.Clone(), hasLoss ? lossSum : double.NaN, TopK, topKHits);
}
