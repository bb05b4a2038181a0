using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TransferLearning.Training;

/// <summary>The result of a fit: every epoch of every phase, and how the fit ended.</summary>
public sealed record TrainingHistory
{
    /// <summary>Every completed epoch, in order.</summary>
    public required IReadOnlyList<EpochRecord> Epochs { get; init; }

    /// <summary>Whether the fit was cancelled through its <see cref="CancellationToken"/> (the model then holds the best weights so far, see <see cref="TrainerOptions.RestoreBestWeightsOnCancel"/>).</summary>
    public bool WasCancelled { get; init; }

    /// <summary>Why the fit stopped before the end of the plan (cancellation or a callback's request), or <see langword="null"/>.</summary>
    public string? StopReason { get; init; }

    /// <summary>Total wall-clock seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>The last epoch, or <see langword="null"/> when none completed.</summary>
    public EpochRecord? Last => Epochs.Count == 0 ? null : Epochs[^1];

    /// <summary>The history as CSV (one row per epoch; invariant culture).</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CsvHeader);
        foreach (var e in Epochs)
        {
            sb.AppendLine(ToCsvRow(e));
        }

        return sb.ToString();
    }

    /// <summary>The history as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(
        new
        {
            WasCancelled,
            StopReason,
            Seconds,
            Epochs = Epochs.Select(e => new
            {
                e.Phase,
                e.PhaseIndex,
                e.PhaseEpoch,
                e.Epoch,
                e.TrainLoss,
                e.TrainAccuracy,
                e.TrainSamples,
                ValidationLoss = Finite(e.ValidationLoss),
                e.ValidationAccuracy,
                ValidationTopKAccuracy = e.Validation?.TopKAccuracy,
                ValidationBalancedAccuracy = e.Validation?.BalancedAccuracy,
                ValidationMacroF1 = e.Validation?.MacroF1,
                e.LearningRates,
                e.TrainableBlocks,
                e.UsedFeatureCache,
                e.Seconds,
            }),
        },
        new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });

    internal const string CsvHeader = "phase,phase_epoch,epoch,train_loss,train_accuracy,val_loss,val_accuracy,val_top_k_accuracy,val_balanced_accuracy,val_macro_f1,lr_head,lr_min,trainable_blocks,feature_cache,seconds";

    internal static string ToCsvRow(EpochRecord e)
    {
        static string F(double? v) => v is double d && double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "";
        string phase = e.Phase.Contains(',', StringComparison.Ordinal) || e.Phase.Contains('"', StringComparison.Ordinal) ? "\"" + e.Phase.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : e.Phase;
        double? lrMin = e.LearningRates.Count == 0 ? null : e.LearningRates.Values.Min();
        return string.Join(',',
            phase,
            e.PhaseEpoch.ToString(CultureInfo.InvariantCulture),
            e.Epoch.ToString(CultureInfo.InvariantCulture),
            F(e.TrainLoss),
            F(e.TrainAccuracy),
            F(e.ValidationLoss),
            F(e.ValidationAccuracy),
            F(e.Validation?.TopKAccuracy),
            F(e.Validation?.BalancedAccuracy),
            F(e.Validation?.MacroF1),
            F(e.GetMetric("lr")),
            F(lrMin),
            string.Join(' ', e.TrainableBlocks),
            e.UsedFeatureCache ? "1" : "0",
            F(e.Seconds));
    }

    private static double? Finite(double? v) => v is double d && double.IsFinite(d) ? d : null;
}
