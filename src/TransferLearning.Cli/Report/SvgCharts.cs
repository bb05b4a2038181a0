using ScottPlot;
using TransferLearning.Cli.Output;
using TransferLearning.Metrics;

namespace TransferLearning.Cli.Report;

/// <summary>The charts of <c>report.html</c> as inline SVG elements (ScottPlot).</summary>
internal static class SvgCharts
{
    private static readonly Color[] PhaseColors = [Colors.Blue, Colors.Green, Colors.Purple, Colors.Brown, Colors.Teal];

    /// <summary>Loss or accuracy per epoch: one training and one validation series per phase, each phase in its colour.</summary>
    /// <param name="history">Every epoch of every phase, in order.</param>
    /// <param name="accuracy">Plot accuracy (true) or loss (false).</param>
    public static string Curves(IReadOnlyList<EpochPoint> history, bool accuracy)
    {
        var plot = new Plot();
        var phases = history.Select(h => h.Phase).Distinct().ToArray();
        for (int p = 0; p < phases.Length; p++)
        {
            var epochs = history.Where(h => h.Phase == phases[p]).ToArray();
            var color = PhaseColors[p % PhaseColors.Length];
            // Validation: open markers and a lighter line. No dashes: Skia's SVG canvas cannot draw path effects and
            // prints a warning for each one.
            Add(plot, epochs.Select(e => (e.Epoch, accuracy ? e.TrainAccuracy : e.TrainLoss)), $"{phases[p]} train", color, MarkerShape.FilledCircle, 2);
            Add(plot, epochs.Select(e => (e.Epoch, accuracy ? e.ValidationAccuracy : e.ValidationLoss)), $"{phases[p]} validation", color.WithAlpha(0.55), MarkerShape.OpenSquare, 1.5f);
        }

        plot.XLabel("epoch");
        plot.YLabel(accuracy ? "accuracy" : "loss");
        plot.Title(accuracy ? "Accuracy per epoch" : "Loss per epoch");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (accuracy)
        {
            plot.Axes.SetLimitsY(0, 1.05);
        }

        plot.ShowLegend(accuracy ? Alignment.LowerRight : Alignment.UpperRight);
        return plot.GetSvgHtml(720, 360);
    }

    /// <summary>Per-class precision, recall and F1 as grouped bars.</summary>
    public static string PerClass(ClassificationMetrics metrics)
    {
        var plot = new Plot();
        int n = metrics.ClassNames.Count;
        var series = new (string Name, IReadOnlyList<double> Values, Color Color)[]
        {
            ("precision", metrics.Precision, Colors.SteelBlue),
            ("recall", metrics.Recall, Colors.Orange),
            ("F1", metrics.F1, Colors.SeaGreen),
        };
        for (int s = 0; s < series.Length; s++)
        {
            var bars = Enumerable.Range(0, n).Select(c => new Bar
            {
                Position = (c * 4) + s,
                Value = double.IsFinite(series[s].Values[c]) ? series[s].Values[c] : 0,
                FillColor = series[s].Color,
            }).ToArray();
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = series[s].Color });
        }

        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, n).Select(c => (c * 4) + 1.0).ToArray(), metrics.ClassNames.ToArray());
        plot.Axes.SetLimitsY(0, 1.05);
        plot.YLabel("score");
        plot.Title("Per-class precision, recall, F1");
        plot.ShowLegend(Edge.Right);
        int longest = metrics.ClassNames.Max(c => c.Length);
        return plot.GetSvgHtml(Math.Clamp(200 + (n * Math.Max(90, 8 * longest)), 520, 1600), 380);
    }

    private static void Add(Plot plot, IEnumerable<(int Epoch, double? Value)> points, string label, Color color, MarkerShape marker, float lineWidth)
    {
        var coordinates = points.Where(p => p.Value is double v && double.IsFinite(v)).Select(p => new Coordinates(p.Epoch, p.Value!.Value)).ToArray();
        if (coordinates.Length == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(coordinates, color);
        scatter.LegendText = label;
        scatter.MarkerShape = marker;
        scatter.MarkerSize = 7;
        scatter.LineWidth = lineWidth;
    }
}
