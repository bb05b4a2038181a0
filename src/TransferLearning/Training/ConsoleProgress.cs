using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace TransferLearning.Training;

/// <summary>
/// Keras' <c>fit(verbose=2)</c> for library users: one line per epoch (loss, accuracy, validation metrics, learning
/// rate, time), one line when a phase starts and one when the fit stops early or is cancelled. Writes to the console,
/// a <see cref="TextWriter"/> or an <see cref="ILogger"/>. One line to enable:
/// <code>trainer.Fit(train, validation, plan, callbacks: [new ConsoleProgress()]);</code>
/// </summary>
/// <example>
/// <code>
/// fine-tuning: 4 epochs, trains head + layer4 (8,525,573 parameters), Adam lr 0.0001 / 10^depth
/// Epoch 1/4 [fine-tuning] 12 batches - 14.2 s 1.18 s/batch - loss 0.4312 - accuracy 0.8594 - val_loss 0.3020 - val_accuracy 0.9130 - lr 1.0e-4
/// </code>
/// </example>
public sealed class ConsoleProgress : TrainingCallback
{
    private readonly TextWriter? writer;
    private readonly ILogger? logger;
    private int batches;

    /// <summary>Writes to <see cref="Console.Out"/> (looked up at each line, so a redirected console is honoured).</summary>
    public ConsoleProgress()
    {
    }

    /// <summary>Writes to a text writer.</summary>
    /// <param name="writer">Destination, for example <see cref="Console.Error"/> or a <see cref="StringWriter"/>.</param>
    public ConsoleProgress(TextWriter writer) => this.writer = writer ?? throw new ArgumentNullException(nameof(writer));

    /// <summary>Writes each line as an information message to a logger.</summary>
    /// <param name="logger">Destination.</param>
    public ConsoleProgress(ILogger logger) => this.logger = logger ?? throw new ArgumentNullException(nameof(logger));

    /// <inheritdoc/>
    public override void OnPhaseStart(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var phase = context.Phase!;
        string blocks = context.Model.IsBaseFrozen ? "head only" : "head + " + string.Join(", ", context.Model.TrainableBlocks);
        Write(string.Create(
            CultureInfo.InvariantCulture,
            $"{phase.Name}: {phase.Epochs} epochs, trains {blocks} ({context.Model.TrainableParameterCount:N0} parameters), {phase.Optimizer} lr {phase.LearningRate}"));
    }

    /// <inheritdoc/>
    public override void OnEpochStart(TrainingContext context) => batches = 0;

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        batches = context.Batch;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var e = context.LastEpoch;
        if (e is null)
        {
            return;
        }

        Write(FormatEpoch(e, context.Phase?.Epochs ?? e.PhaseEpoch, batches));
    }

    /// <inheritdoc/>
    public override void OnFitEnd(TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.WasCancelled)
        {
            Write($"Cancelled after {context.History.Count} epochs.");
        }
        else if (context.StopReason is { } reason)
        {
            Write($"Stopped: {reason}");
        }
    }

    /// <summary>Formats one epoch as this reporter prints it.</summary>
    /// <param name="epoch">The epoch.</param>
    /// <param name="phaseEpochs">Epochs of its phase.</param>
    /// <param name="batches">Training batches of the epoch (0 when unknown).</param>
    public static string FormatEpoch(EpochRecord epoch, int phaseEpochs, int batches)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"Epoch {epoch.PhaseEpoch}/{phaseEpochs} [{epoch.Phase}]");
        if (batches > 0)
        {
            sb.Append(c, $" {batches} batches - {epoch.Seconds:F1} s {epoch.Seconds / batches:F2} s/batch");
        }
        else
        {
            sb.Append(c, $" - {epoch.Seconds:F1} s");
        }

        sb.Append(c, $" - loss {epoch.TrainLoss:F4} - accuracy {epoch.TrainAccuracy:F4}");
        if (epoch.Validation is not null)
        {
            sb.Append(c, $" - val_loss {epoch.ValidationLoss:F4} - val_accuracy {epoch.ValidationAccuracy:F4}");
        }

        if (epoch.GetMetric("lr") is double lr)
        {
            sb.Append(c, $" - lr {lr:0.0##e+0}");
        }

        if (epoch.UsedFeatureCache)
        {
            sb.Append(" (cached features)");
        }

        return sb.ToString();
    }

    private void Write(string line)
    {
        if (logger is not null)
        {
            logger.LogInformation("{Progress}", line);
            return;
        }

        var target = writer ?? Console.Out;
        target.WriteLine(line);
        target.Flush();
    }
}
