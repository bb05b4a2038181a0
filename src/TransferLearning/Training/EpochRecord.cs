using TransferLearning.Metrics;

namespace TransferLearning.Training;

/// <summary>What happened in one epoch of one phase.</summary>
public sealed record EpochRecord
{
    /// <summary>Phase name.</summary>
    public required string Phase { get; init; }

    /// <summary>Zero-based index of the phase in the plan.</summary>
    public required int PhaseIndex { get; init; }

    /// <summary>One-based epoch within the phase.</summary>
    public required int PhaseEpoch { get; init; }

    /// <summary>One-based epoch over the whole fit.</summary>
    public required int Epoch { get; init; }

    /// <summary>Mean training loss per sample (with the configured class weights and smoothing).</summary>
    public required double TrainLoss { get; init; }

    /// <summary>Training accuracy (on the augmented batches, in training mode).</summary>
    public required double TrainAccuracy { get; init; }

    /// <summary>Training samples seen.</summary>
    public required long TrainSamples { get; init; }

    /// <summary>Validation metrics, or <see langword="null"/> without validation data.</summary>
    public ClassificationMetrics? Validation { get; init; }

    /// <summary>Validation loss, or <see langword="null"/>.</summary>
    public double? ValidationLoss => Validation?.Loss;

    /// <summary>Validation accuracy, or <see langword="null"/>.</summary>
    public double? ValidationAccuracy => Validation?.Accuracy;

    /// <summary>Learning rate of each trainable group at the end of the epoch (group name to rate).</summary>
    public required IReadOnlyDictionary<string, double> LearningRates { get; init; }

    /// <summary>Base blocks that trained.</summary>
    public required IReadOnlyList<string> TrainableBlocks { get; init; }

    /// <summary>Whether the head trained from cached features.</summary>
    public required bool UsedFeatureCache { get; init; }

    /// <summary>Wall-clock seconds of the epoch (training and validation).</summary>
    public required double Seconds { get; init; }

    /// <summary>
    /// A metric by name: <c>train_loss</c>, <c>train_accuracy</c>, <c>val_loss</c>, <c>val_accuracy</c>,
    /// <c>val_top_k_accuracy</c>, <c>val_balanced_accuracy</c>, <c>val_macro_f1</c>, <c>lr</c> (the head's rate).
    /// </summary>
    /// <param name="name">Metric name, case-insensitive.</param>
    /// <returns>The value, or <see langword="null"/> when unknown or not measured.</returns>
    public double? GetMetric(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = name.ToLowerInvariant();
        return n switch
        {
            "train_loss" or "loss" => TrainLoss,
            "train_accuracy" or "accuracy" or "acc" => TrainAccuracy,
            "lr" => LearningRates.TryGetValue("head", out double lr) ? lr : null,
            _ when n.StartsWith("val_", StringComparison.Ordinal) => Validation?.Get(n[4..]),
            _ => null,
        };
    }
}
