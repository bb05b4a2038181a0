namespace TransferLearning.Training;

/// <summary>
/// Writes the history to a file after every epoch (rewritten atomically each time, so the file is always complete):
/// CSV (one row per epoch) or JSON.
/// </summary>
public sealed class HistoryLogger : TrainingCallback
{
    private readonly string path;
    private readonly bool json;

    private HistoryLogger(string path, bool json)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        this.path = path;
        this.json = json;
    }

    /// <summary>Destination file.</summary>
    public string Path => path;

    /// <summary>A CSV logger (columns: see <see cref="TrainingHistory.ToCsv"/>).</summary>
    /// <param name="path">Destination file.</param>
    public static HistoryLogger Csv(string path) => new(path, json: false);

    /// <summary>A JSON logger (see <see cref="TrainingHistory.ToJson"/>).</summary>
    /// <param name="path">Destination file.</param>
    public static HistoryLogger Json(string path) => new(path, json: true);

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context) => Write(context, false);

    /// <inheritdoc/>
    public override void OnFitEnd(TrainingContext context) => Write(context, context.WasCancelled);

    private void Write(TrainingContext context, bool cancelled)
    {
        ArgumentNullException.ThrowIfNull(context);
        var history = new TrainingHistory { Epochs = context.History.ToArray(), WasCancelled = cancelled, StopReason = context.StopReason };
        AtomicFile.WriteText(path, json ? history.ToJson() : history.ToCsv());
    }
}
