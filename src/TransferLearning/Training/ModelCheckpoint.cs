using Microsoft.Extensions.Logging;

namespace TransferLearning.Training;

/// <summary>
/// Saves the model after epochs: the best so far by a metric and/or the last. Files are written to a temporary file in
/// the same folder and renamed, so a crash or cancellation never leaves half a checkpoint.
/// </summary>
public sealed class ModelCheckpoint : TrainingCallback
{
    private readonly ModelCheckpointOptions options;
    private MetricMonitor monitor;

    /// <summary>Creates the callback.</summary>
    /// <param name="options">Settings.</param>
    public ModelCheckpoint(ModelCheckpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.options = options;
        monitor = new MetricMonitor(options.Monitor, options.Mode, 0);
    }

    /// <summary>One-based global epoch of the last best checkpoint written, or 0.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Path of the best checkpoint.</summary>
    public string BestPath => options.BestPath;

    /// <summary>Path of the last checkpoint.</summary>
    public string LastPath => options.LastPath;

    /// <inheritdoc/>
    public override void OnFitStart(TrainingContext context)
    {
        monitor = new MetricMonitor(options.Monitor, options.Mode, 0);
        BestEpoch = 0;
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

        if (options.SaveBest && monitor.Update(record))
        {
            AtomicFile.Write(options.BestPath, tmp => options.Writer.Write(context.Model, tmp));
            BestEpoch = record.Epoch;
            context.Logger?.LogDebug("Saved best checkpoint (epoch {Epoch}) to {Path}.", record.Epoch, options.BestPath);
        }

        if (options.SaveLast)
        {
            AtomicFile.Write(options.LastPath, tmp => options.Writer.Write(context.Model, tmp));
        }
    }
}
