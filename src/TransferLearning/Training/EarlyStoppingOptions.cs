namespace TransferLearning.Training;

/// <summary>Settings of <see cref="EarlyStopping"/> (Keras' <c>EarlyStopping</c>).</summary>
public sealed record EarlyStoppingOptions
{
    /// <summary>Metric watched (see <see cref="EpochRecord.GetMetric"/>). Default "val_loss" (falls back to "train_loss" without validation).</summary>
    public string Monitor { get; init; } = "val_loss";

    /// <summary>Direction of improvement. Default <see cref="MonitorMode.Auto"/>.</summary>
    public MonitorMode Mode { get; init; } = MonitorMode.Auto;

    /// <summary>Epochs without improvement before stopping. Default 3.</summary>
    public int Patience { get; init; } = 3;

    /// <summary>Smallest change that counts as an improvement. Default 0.</summary>
    public double MinDelta { get; init; }

    /// <summary>Put back the weights of the best epoch when stopping (and at the end of the phase/fit). Default true.</summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>
    /// What stopping ends. Default <see cref="StopScope.Phase"/>: the next phase (for example fine-tuning) still runs,
    /// and the watch starts afresh in every phase.
    /// </summary>
    public StopScope Scope { get; init; } = StopScope.Phase;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is invalid.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Monitor, nameof(Monitor));
        ArgumentOutOfRangeException.ThrowIfNegative(Patience, nameof(Patience));
        if (!double.IsFinite(MinDelta) || MinDelta < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, "MinDelta must be finite and non-negative.");
        }

        if (!Enum.IsDefined(Mode) || !Enum.IsDefined(Scope))
        {
            throw new ArgumentOutOfRangeException(nameof(Mode), "Unknown mode or scope.");
        }
    }
}
