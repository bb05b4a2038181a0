namespace TransferLearning.Training;

/// <summary>A callback made of delegates, for quick user hooks (any may be null).</summary>
public sealed class DelegateCallback : TrainingCallback
{
    /// <summary>Called at fit start.</summary>
    public Action<TrainingContext>? FitStart { get; init; }

    /// <summary>Called at phase start.</summary>
    public Action<TrainingContext>? PhaseStart { get; init; }

    /// <summary>Called at epoch start.</summary>
    public Action<TrainingContext>? EpochStart { get; init; }

    /// <summary>Called after every batch.</summary>
    public Action<TrainingContext>? BatchEnd { get; init; }

    /// <summary>Called at epoch end.</summary>
    public Action<TrainingContext>? EpochEnd { get; init; }

    /// <summary>Called at phase end.</summary>
    public Action<TrainingContext>? PhaseEnd { get; init; }

    /// <summary>Called at fit end.</summary>
    public Action<TrainingContext>? FitEnd { get; init; }

    /// <inheritdoc/>
    public override void OnFitStart(TrainingContext context) => FitStart?.Invoke(context);

    /// <inheritdoc/>
    public override void OnPhaseStart(TrainingContext context) => PhaseStart?.Invoke(context);

    /// <inheritdoc/>
    public override void OnEpochStart(TrainingContext context) => EpochStart?.Invoke(context);

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context) => BatchEnd?.Invoke(context);

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context) => EpochEnd?.Invoke(context);

    /// <inheritdoc/>
    public override void OnPhaseEnd(TrainingContext context) => PhaseEnd?.Invoke(context);

    /// <inheritdoc/>
    public override void OnFitEnd(TrainingContext context) => FitEnd?.Invoke(context);
}
