namespace TransferLearning.Training;

/// <summary>A progress report of a fit, sent after every batch (see <see cref="TrainerOptions.ProgressInterval"/>).</summary>
public sealed record TrainingProgress
{
    /// <summary>Phase name.</summary>
    public required string Phase { get; init; }

    /// <summary>Zero-based phase index.</summary>
    public required int PhaseIndex { get; init; }

    /// <summary>Number of phases.</summary>
    public required int PhaseCount { get; init; }

    /// <summary>One-based epoch within the phase.</summary>
    public required int Epoch { get; init; }

    /// <summary>Epochs of the phase.</summary>
    public required int Epochs { get; init; }

    /// <summary>One-based batch within the epoch.</summary>
    public required int Batch { get; init; }

    /// <summary>Batches per epoch.</summary>
    public required int Batches { get; init; }

    /// <summary>Mean training loss of the epoch so far.</summary>
    public required double Loss { get; init; }

    /// <summary>Training accuracy of the epoch so far.</summary>
    public required double Accuracy { get; init; }

    /// <summary>Current learning rate of the head.</summary>
    public required double LearningRate { get; init; }

    /// <summary>Time since the fit started.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Estimated time to the end of the plan (from the mean batch time of the current phase, ignoring validation), or <see langword="null"/> before the first estimate.</summary>
    public TimeSpan? Eta { get; init; }
}
