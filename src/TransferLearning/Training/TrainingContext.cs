using Microsoft.Extensions.Logging;

namespace TransferLearning.Training;

/// <summary>
/// What callbacks see of a running fit. Callbacks stop training with <see cref="RequestStop"/> (no exceptions): a request
/// made in <see cref="TrainingCallback.OnBatchEnd"/> ends the epoch after that batch; one made in
/// <see cref="TrainingCallback.OnEpochEnd"/> ends the phase or the fit before the next epoch.
/// </summary>
public sealed class TrainingContext
{
    private readonly List<EpochRecord> history;

    internal TrainingContext(TransferModel model, TrainingPlan plan, List<EpochRecord> history, ILogger? logger, CancellationToken cancellationToken)
    {
        Model = model;
        Plan = plan;
        this.history = history;
        Logger = logger;
        CancellationToken = cancellationToken;
    }

    /// <summary>The model being trained.</summary>
    public TransferModel Model { get; }

    /// <summary>The plan.</summary>
    public TrainingPlan Plan { get; }

    /// <summary>The current phase (set from phase start).</summary>
    public TrainingPhase? Phase { get; internal set; }

    /// <summary>Zero-based index of the current phase.</summary>
    public int PhaseIndex { get; internal set; }

    /// <summary>One-based epoch within the phase (0 before the first epoch).</summary>
    public int PhaseEpoch { get; internal set; }

    /// <summary>One-based epoch over the fit (0 before the first epoch).</summary>
    public int Epoch { get; internal set; }

    /// <summary>One-based batch within the epoch (0 before the first batch).</summary>
    public int Batch { get; internal set; }

    /// <summary>Loss of the last batch.</summary>
    public double BatchLoss { get; internal set; }

    /// <summary>Every completed epoch so far.</summary>
    public IReadOnlyList<EpochRecord> History => history;

    /// <summary>The epoch that just ended (in <see cref="TrainingCallback.OnEpochEnd"/>), or <see langword="null"/>.</summary>
    public EpochRecord? LastEpoch => history.Count == 0 ? null : history[^1];

    /// <summary>The trainer's logger, if any.</summary>
    public ILogger? Logger { get; }

    /// <summary>The fit's cancellation token.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Whether the fit was cancelled (set before <see cref="TrainingCallback.OnFitEnd"/>).</summary>
    public bool WasCancelled { get; internal set; }

    /// <summary>Whether a stop has been requested and not yet carried out.</summary>
    public bool StopRequested { get; private set; }

    /// <summary>The scope of the pending stop request.</summary>
    public StopScope StopScope { get; private set; }

    /// <summary>Reason given with the last stop request.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Asks the trainer to stop (a <see cref="StopScope.Fit"/> request wins over a <see cref="StopScope.Phase"/> one).</summary>
    /// <param name="reason">Shown in the history and logs.</param>
    /// <param name="scope">What to stop. Default <see cref="StopScope.Fit"/>.</param>
    public void RequestStop(string reason, StopScope scope = StopScope.Fit)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (!StopRequested || scope == StopScope.Fit)
        {
            StopScope = scope;
        }

        StopRequested = true;
        StopReason = reason;
    }

    internal void ClearStop() => StopRequested = false;
}
