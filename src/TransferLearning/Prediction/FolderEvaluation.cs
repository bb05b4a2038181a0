namespace TransferLearning.Prediction;

/// <summary>
/// Result of <see cref="Predictor.EvaluateFolder"/>.
/// TODO(lead): return the trainer's <c>Metrics.ClassificationMetrics</c> (via <c>MetricsAccumulator</c>) once it is merged.
/// </summary>
public sealed record FolderEvaluation
{
    /// <summary>Class names, in model output order.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Number of images evaluated.</summary>
    public required long SampleCount { get; init; }

    /// <summary>Mean cross-entropy of the true classes.</summary>
    public required double Loss { get; init; }

    /// <summary>Fraction of images whose most probable class is the true class.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Confusion matrix: row = true class, column = predicted class.</summary>
    public required IReadOnlyList<IReadOnlyList<long>> ConfusionMatrix { get; init; }

    /// <summary>Recall of each class (NaN for a class without images).</summary>
    public required IReadOnlyList<double> Recall { get; init; }

    /// <summary>Files that were skipped (not decodable), with the reason.</summary>
    public required IReadOnlyList<SkippedFile> Skipped { get; init; }
}

/// <summary>A file an evaluation skipped.</summary>
/// <param name="Path">The file.</param>
/// <param name="Reason">Why it was skipped.</param>
public sealed record SkippedFile(string Path, string Reason);
