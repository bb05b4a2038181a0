namespace TransferLearning.Metrics;

/// <summary>
/// Immutable classification metrics of a model on a data set: loss, accuracy, top-k accuracy, balanced accuracy,
/// per-class precision/recall/F1 and the confusion matrix. Created by <see cref="Evaluator"/> or
/// <see cref="MetricsAccumulator"/>.
/// </summary>
public sealed record ClassificationMetrics
{
    /// <summary>Class names, in label order.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Number of samples evaluated.</summary>
    public required long SampleCount { get; init; }

    /// <summary>Mean loss per sample (cross-entropy, as the trainer computes it), or NaN when no loss was recorded.</summary>
    public required double Loss { get; init; }

    /// <summary>Fraction of samples whose top prediction is right.</summary>
    public required double Accuracy { get; init; }

    /// <summary>The k of <see cref="TopKAccuracy"/>.</summary>
    public required int TopK { get; init; }

    /// <summary>Fraction of samples whose label is among the <see cref="TopK"/> highest scores.</summary>
    public required double TopKAccuracy { get; init; }

    /// <summary>Mean of the per-class recalls over the classes present in the data.</summary>
    public required double BalancedAccuracy { get; init; }

    /// <summary>Precision per class (0 when the class was never predicted).</summary>
    public required IReadOnlyList<double> Precision { get; init; }

    /// <summary>Recall per class (0 when the class is absent from the data).</summary>
    public required IReadOnlyList<double> Recall { get; init; }

    /// <summary>F1 score per class (0 when precision and recall are both 0).</summary>
    public required IReadOnlyList<double> F1 { get; init; }

    /// <summary>Number of samples of each class in the data.</summary>
    public required IReadOnlyList<long> Support { get; init; }

    /// <summary>Mean F1 over the classes present in the data.</summary>
    public required double MacroF1 { get; init; }

    /// <summary>Confusion matrix: <c>ConfusionMatrix[actual][predicted]</c> sample counts.</summary>
    public required IReadOnlyList<IReadOnlyList<long>> ConfusionMatrix { get; init; }

    /// <summary>
    /// A metric by name: <c>loss</c>, <c>accuracy</c>, <c>top_k_accuracy</c>, <c>balanced_accuracy</c>, <c>macro_f1</c>.
    /// </summary>
    /// <param name="name">Metric name (case-insensitive).</param>
    /// <returns>The value, or <see langword="null"/> for an unknown name.</returns>
    public double? Get(string name) => name.ToLowerInvariant() switch
    {
        "loss" => Loss,
        "accuracy" or "acc" => Accuracy,
        "top_k_accuracy" or "topk_accuracy" => TopKAccuracy,
        "balanced_accuracy" => BalancedAccuracy,
        "macro_f1" or "f1" => MacroF1,
        _ => null,
    };

    /// <summary>Computes the metrics from a confusion matrix and the top-k hit count.</summary>
    /// <param name="classNames">Class names.</param>
    /// <param name="confusion">Counts, <c>[actual, predicted]</c>.</param>
    /// <param name="lossSum">Sum of the per-sample losses (NaN when unknown).</param>
    /// <param name="topK">The k of the top-k accuracy.</param>
    /// <param name="topKHits">Samples whose label was among the k highest scores.</param>
    public static ClassificationMetrics FromConfusion(IReadOnlyList<string> classNames, long[,] confusion, double lossSum, int topK, long topKHits)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(confusion);
        int c = classNames.Count;
        if (confusion.GetLength(0) != c || confusion.GetLength(1) != c)
        {
            throw new ArgumentException($"The confusion matrix must be {c}x{c}.", nameof(confusion));
        }

        long total = 0, correct = 0;
        var support = new long[c];
        var predicted = new long[c];
        for (int a = 0; a < c; a++)
        {
            for (int p = 0; p < c; p++)
            {
                long n = confusion[a, p];
                total += n;
                support[a] += n;
                predicted[p] += n;
                if (a == p)
                {
                    correct += n;
                }
            }
        }

        var precision = new double[c];
        var recall = new double[c];
        var f1 = new double[c];
        double recallSum = 0, f1Sum = 0;
        int present = 0;
        for (int k = 0; k < c; k++)
        {
            precision[k] = predicted[k] == 0 ? 0 : (double)confusion[k, k] / predicted[k];
            recall[k] = support[k] == 0 ? 0 : (double)confusion[k, k] / support[k];
            f1[k] = precision[k] + recall[k] == 0 ? 0 : 2 * precision[k] * recall[k] / (precision[k] + recall[k]);
            if (support[k] > 0)
            {
                present++;
                recallSum += recall[k];
                f1Sum += f1[k];
            }
        }

        var matrix = new IReadOnlyList<long>[c];
        for (int a = 0; a < c; a++)
        {
            var row = new long[c];
            for (int p = 0; p < c; p++)
            {
                row[p] = confusion[a, p];
            }

            matrix[a] = row;
        }

        return new ClassificationMetrics
        {
            ClassNames = classNames.ToArray(),
            SampleCount = total,
            Loss = total == 0 ? double.NaN : lossSum / total,
            Accuracy = total == 0 ? 0 : (double)correct / total,
            TopK = topK,
            TopKAccuracy = total == 0 ? 0 : (double)topKHits / total,
            BalancedAccuracy = present == 0 ? 0 : recallSum / present,
            Precision = precision,
            Recall = recall,
            F1 = f1,
            Support = support,
            MacroF1 = present == 0 ? 0 : f1Sum / present,
            ConfusionMatrix = matrix,
        };
    }
}
