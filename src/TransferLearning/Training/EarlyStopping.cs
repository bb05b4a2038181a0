using Microsoft.Extensions.Logging;

namespace TransferLearning.Training;

/// <summary>
/// Stops a phase (or the fit) when the monitored metric has not improved for <see cref="EarlyStoppingOptions.Patience"/>
/// epochs, and optionally puts back the weights of the best epoch.
/// </summary>
public sealed class EarlyStopping : TrainingCallback, IDisposable
{
    private readonly EarlyStoppingOptions options;
    private MetricMonitor monitor;
    private WeightsSnapshot? best;
    private bool stoppedThisWatch;

    /// <summary>Creates the callback.</summary>
    /// <param name="options">Settings; default <c>new EarlyStoppingOptions()</c>.</param>
    public EarlyStopping(EarlyStoppingOptions? options = null)
    {
        this.options = options ?? new EarlyStoppingOptions();
        this.options.Validate();
        monitor = new MetricMonitor(this.options.Monitor, this.options.Mode, this.options.MinDelta);
    }

    /// <summary>One-based global epoch of the best value in the current watch, or 0.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The best value of the current watch.</summary>
    public double BestValue => monitor.Best;

    /// <summary>One-based global epoch at which the callback stopped training, or 0.</summary>
    public int StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnFitStart(TrainingContext context)
    {
        Reset();
        StoppedEpoch = 0;
    }

    /// <inheritdoc/>
    public override void OnPhaseStart(TrainingContext context)
    {
        if (options.Scope == StopScope.Phase)
        {
            Reset();
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var record = context.LastEpoch;
        if (record is null)
        {
            return;
        }

        if (monitor.Update(record))
        {
            BestEpoch = record.Epoch;
            if (options.RestoreBestWeights)
            {
                if (best is null)
                {
                    best = WeightsSnapshot.Capture(context.Model);
                }
                else
                {
                    best.Update(context.Model);
                }
            }
        }
        else if (monitor.EpochsWithoutImprovement > options.Patience)
        {
            StoppedEpoch = record.Epoch;
            stoppedThisWatch = true;
            string reason = $"Early stopping: {options.Monitor} did not improve for {monitor.EpochsWithoutImprovement} epochs (best {monitor.Best:G5} at epoch {BestEpoch}).";
            context.Logger?.LogInformation("{Reason}", reason);
            context.RequestStop(reason, options.Scope);
            RestoreBest(context);
        }
    }

    /// <inheritdoc/>
    public override void OnPhaseEnd(TrainingContext context)
    {
        if (options.Scope == StopScope.Phase && !stoppedThisWatch)
        {
            RestoreBest(context);
        }
    }

    /// <inheritdoc/>
    public override void OnFitEnd(TrainingContext context)
    {
        if (options.Scope == StopScope.Fit && !stoppedThisWatch && !context.WasCancelled)
        {
            RestoreBest(context);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        best?.Dispose();
        best = null;
    }

    private void RestoreBest(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (options.RestoreBestWeights && best is not null && context.LastEpoch is { } last && last.Epoch != BestEpoch)
        {
            best.RestoreTo(context.Model);
            context.Logger?.LogInformation("Restored the weights of epoch {Epoch}.", BestEpoch);
        }
    }

    private void Reset()
    {
        monitor = new MetricMonitor(options.Monitor, options.Mode, options.MinDelta);
        BestEpoch = 0;
        stoppedThisWatch = false;
        best?.Dispose();
        best = null;
    }
}
