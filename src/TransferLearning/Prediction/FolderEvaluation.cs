using TransferLearning.Data;
using TransferLearning.Metrics;

namespace TransferLearning.Prediction;

/// <summary>
/// Result of <see cref="Predictor.EvaluateFolder"/>: the trainer's metrics plus the files that were skipped.
/// </summary>
public sealed record FolderEvaluation
{
    /// <summary>The trainer's metrics (loss, accuracy, top-k, balanced accuracy, per-class precision/recall/F1, confusion matrix) over the decoded images.</summary>
    public required ClassificationMetrics Metrics { get; init; }

    /// <summary>Files that could not be decoded, with the reason; they are not counted in <see cref="Metrics"/>.</summary>
    public required IReadOnlyList<BadFileEntry> Skipped { get; init; }
}
