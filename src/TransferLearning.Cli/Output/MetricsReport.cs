using System.Globalization;
using Spectre.Console;
using TransferLearning.Metrics;

namespace TransferLearning.Cli.Output;

/// <summary>Per-class figures of a <see cref="ClassificationMetrics"/>, as written in the JSON report.</summary>
/// <param name="Name">Class name.</param>
/// <param name="Precision">Precision.</param>
/// <param name="Recall">Recall.</param>
/// <param name="F1">F1 score.</param>
/// <param name="Support">Number of samples of the class.</param>
public sealed record ClassReport(string Name, double Precision, double Recall, double F1, long Support);

/// <summary>The metrics part of a JSON report (evaluate, and train on its validation set).</summary>
/// <param name="SampleCount">Samples evaluated.</param>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Accuracy">Accuracy.</param>
/// <param name="BalancedAccuracy">Mean per-class recall.</param>
/// <param name="MacroF1">Mean per-class F1.</param>
/// <param name="TopK">K of <paramref name="TopKAccuracy"/>.</param>
/// <param name="TopKAccuracy">Top-k accuracy.</param>
/// <param name="ClassNames">Class names, in label order.</param>
/// <param name="PerClass">Per-class precision, recall, F1 and support.</param>
/// <param name="ConfusionMatrix">Counts, rows = true class, columns = predicted class.</param>
public sealed record MetricsReport(
    long SampleCount,
    double Loss,
    double Accuracy,
    double BalancedAccuracy,
    double MacroF1,
    int TopK,
    double TopKAccuracy,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<ClassReport> PerClass,
    IReadOnlyList<IReadOnlyList<long>> ConfusionMatrix)
{
    /// <summary>Copies the figures of <paramref name="metrics"/>.</summary>
    /// <param name="metrics">Metrics computed by the library.</param>
    public static MetricsReport From(ClassificationMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return new MetricsReport(
            metrics.SampleCount,
            metrics.Loss,
            metrics.Accuracy,
            metrics.BalancedAccuracy,
            metrics.MacroF1,
            metrics.TopK,
            metrics.TopKAccuracy,
            metrics.ClassNames,
            metrics.ClassNames.Select((n, i) => new ClassReport(n, metrics.Precision[i], metrics.Recall[i], metrics.F1[i], metrics.Support[i])).ToArray(),
            metrics.ConfusionMatrix);
    }

    /// <summary>Writes the per-class table and the summary line to a console.</summary>
    /// <param name="console">Target console.</param>
    /// <param name="title">Table title.</param>
    public void Write(IAnsiConsole console, string title)
    {
        ArgumentNullException.ThrowIfNull(console);
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        table.AddColumn(new TableColumn("Class").NoWrap());
        table.AddColumn(new TableColumn("Precision").RightAligned());
        table.AddColumn(new TableColumn("Recall").RightAligned());
        table.AddColumn(new TableColumn("F1").RightAligned());
        table.AddColumn(new TableColumn("Support").RightAligned());
        foreach (var c in PerClass)
        {
            table.AddRow(Markup.Escape(c.Name), Pct(c.Precision), Pct(c.Recall), Pct(c.F1), c.Support.ToString(CultureInfo.InvariantCulture));
        }

        table.AddEmptyRow();
        table.AddRow("[bold]accuracy[/]", "", "", $"[bold]{Pct(Accuracy)}[/]", SampleCount.ToString(CultureInfo.InvariantCulture));
        table.AddRow("balanced accuracy", "", "", Pct(BalancedAccuracy), "");
        table.AddRow("macro F1", "", "", Pct(MacroF1), "");
        table.AddRow($"top-{TopK} accuracy", "", "", Pct(TopKAccuracy), "");
        table.AddRow("loss", "", "", Loss.ToString("F4", CultureInfo.InvariantCulture), "");
        console.Write(table);
    }

    private static string Pct(double value) => double.IsFinite(value) ? value.ToString("P1", CultureInfo.InvariantCulture) : "-";
}
