namespace TransferLearning.Training;

/// <summary>
/// Base class of training callbacks. Events, in order: <see cref="OnFitStart"/>, then per phase
/// <see cref="OnPhaseStart"/>, per epoch <see cref="OnEpochStart"/>, <see cref="OnBatchEnd"/> per batch,
/// <see cref="OnEpochEnd"/> (after validation, with the epoch in <see cref="TrainingContext.LastEpoch"/>),
/// <see cref="OnPhaseEnd"/>; finally <see cref="OnFitEnd"/> (also after a cancellation, not after an exception).
/// A callback instance may be reused across fits: reset per-run state in <see cref="OnFitStart"/>.
/// </summary>
public abstract class TrainingCallback
{
    /// <summary>The fit starts.</summary>
    /// <param name="context">The fit.</param>
    public virtual void OnFitStart(TrainingContext context)
    {
    }

    /// <summary>A phase starts (its blocks are already unfrozen).</summary>
    /// <param name="context">The fit.</param>
    public virtual void OnPhaseStart(TrainingContext context)
    {
    }

    /// <summary>An epoch starts.</summary>
    /// <param name="context">The fit.</param>
    public virtual void OnEpochStart(TrainingContext context)
    {
    }

    /// <summary>A training batch ended (after the optimizer step).</summary>
    /// <param name="context">The fit.</param>
    public virtual void OnBatchEnd(TrainingContext context)
    {
    }

    /// <summary>An epoch ended, validation included.</summary>
    /// <param name="context">The fit.</param>
    public virtual void OnEpochEnd(TrainingContext context)
    {
    }

    /// <summary>A phase ended.</summary>
    /// <param name="context">The fit.</param>
    public virtual void OnPhaseEnd(TrainingContext context)
    {
    }

    /// <summary>The fit ended (normally, by a stop request, or by cancellation).</summary>
    /// <param name="context">The fit.</param>
    public virtual void OnFitEnd(TrainingContext context)
    {
    }
}
