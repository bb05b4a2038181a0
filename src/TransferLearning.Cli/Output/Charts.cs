using System.Globalization;
using ScottPlot;
using TransferLearning.Persistence;

namespace TransferLearning.Cli.Output;

/// <summary>The PNG charts <c>tl train</c> writes beside the model (ScottPlot), each written atomically.</summary>
public static class Charts
{
    /// <summary>
    /// Writes the training curves: loss (top) and accuracy (bottom) per epoch, training and validation, with a dashed
    /// vertical line at each phase boundary labelled with the phase that starts there.
    /// </summary>
    /// <param name="history">Every epoch of every phase, in order.</param>
    /// <param name="path">PNG file to write.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void WriteCurves(IReadOnlyList<EpochPoint> history, string path, int width = 900, int height = 700)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (history.Count == 0)
        {
            throw new ArgumentException("The history is empty: nothing to plot.", nameof(history));
        }

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var loss = multiplot.GetPlot(0);
        var accuracy = multiplot.GetPlot(1);
        var x = history.Select(h => (double)h.Epoch).ToArray();

        AddSeries(loss, x, history.Select(h => (double?)h.TrainLoss).ToArray(), "train loss", Colors.Blue);
        AddSeries(loss, x, history.Select(h => h.ValidationLoss).ToArray(), "validation loss", Colors.Orange);
        AddSeries(accuracy, x, history.Select(h => h.TrainAccuracy).ToArray(), "train accuracy", Colors.Blue);
        AddSeries(accuracy, x, history.Select(h => h.ValidationAccuracy).ToArray(), "validation accuracy", Colors.Orange);

        loss.YLabel("loss");
        accuracy.YLabel("accuracy");
        accuracy.XLabel("epoch");
        foreach (var plot in new[] { loss, accuracy })
        {
            for (var i = 1; i < history.Count; i++)
            {
                if (history[i].Phase != history[i - 1].Phase)
                {
                    var line = plot.Add.VerticalLine(history[i].Epoch - 0.5, 1.5f, Colors.Gray, LinePattern.Dashed);
                    line.LegendText = $"{history[i].Phase} starts";
                }
            }

            plot.ShowLegend(plot == loss ? Alignment.UpperRight : Alignment.LowerRight);
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        }

        accuracy.Axes.SetLimitsY(0, 1.05);
        WriteAtomically(path, multiplot.Render(width, height).GetImageBytes(ImageFormat.Png));
    }

    /// <summary>Writes the confusion matrix as a heat map (rows: true class, columns: predicted class) with the counts in the cells.</summary>
    /// <param name="classNames">Class names, in label order.</param>
    /// <param name="confusion">Counts, <c>confusion[true][predicted]</c>.</param>
    /// <param name="path">PNG file to write.</param>
    /// <param name="title">Chart title.</param>
    public static void WriteConfusion(IReadOnlyList<string> classNames, IReadOnlyList<IReadOnlyList<long>> confusion, string path, string title = "Confusion matrix (validation)")
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(confusion);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var n = classNames.Count;
        if (n == 0 || confusion.Count != n || confusion.Any(r => r.Count != n))
        {
            throw new ArgumentException($"The confusion matrix must be {n}x{n}.", nameof(confusion));
        }

        // Rows normalised by the true-class count so colours compare across classes; the cell text is the raw count.
        var intensities = new double[n, n];
        for (var r = 0; r < n; r++)
        {
            var total = confusion[r].Sum();
            for (var c = 0; c < n; c++)
            {
                intensities[r, c] = total == 0 ? 0 : (double)confusion[r][c] / total;
            }
        }

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues().Reversed();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        heatmap.Extent = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < n; c++)
            {
                var text = plot.Add.Text(confusion[r][c].ToString(CultureInfo.InvariantCulture), c, n - 1 - r);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = 16;
                text.LabelFontColor = intensities[r, c] > 0.5 ? Colors.White : Colors.Black;
            }
        }

        var positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, classNames.ToArray());
        plot.Axes.Left.SetTicks(positions.Select(p => n - 1 - p).ToArray(), classNames.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        plot.XLabel("predicted");
        plot.YLabel("true");
        plot.Title(title);
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.Add.ColorBar(heatmap);
        var side = Math.Clamp(120 + (80 * n), 500, 1400);
        WriteAtomically(path, plot.GetImageBytes(side + 120, side, ImageFormat.Png));
    }

    /// <summary>Writes the learning-rate finder's curve (loss against learning rate, log scale) with the suggestion marked.</summary>
    /// <param name="learningRates">Learning rates of the sweep.</param>
    /// <param name="losses">Smoothed losses, one per learning rate.</param>
    /// <param name="suggested">Suggested learning rate.</param>
    /// <param name="path">PNG file to write.</param>
    public static void WriteLrFinder(IReadOnlyList<double> learningRates, IReadOnlyList<double> losses, double suggested, string path)
    {
        ArgumentNullException.ThrowIfNull(learningRates);
        ArgumentNullException.ThrowIfNull(losses);
        if (learningRates.Count == 0 || learningRates.Count != losses.Count)
        {
            throw new ArgumentException("The learning rates and losses must be non-empty and of the same length.", nameof(losses));
        }

        var plot = new Plot();
        var x = learningRates.Select(Math.Log10).ToArray();
        var line = plot.Add.ScatterLine(x, losses.ToArray(), Colors.Blue);
        line.LegendText = "loss";
        var mark = plot.Add.VerticalLine(Math.Log10(suggested), 1.5f, Colors.Red, LinePattern.Dashed);
        mark.LegendText = "suggested " + suggested.ToString("G2", CultureInfo.InvariantCulture);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = v => Math.Pow(10, v).ToString("G1", CultureInfo.InvariantCulture),
        };
        plot.XLabel("learning rate (log scale)");
        plot.YLabel("loss (smoothed)");
        WriteAtomically(path, plot.GetImageBytes(800, 500, ImageFormat.Png));
    }

    /// <summary>
    /// Writes a chart that is secondary to the command's result (the model is already saved, the numbers are printed):
    /// a failure (full disk, no permission, a folder in the way) becomes a warning instead of failing the command.
    /// </summary>
    /// <param name="path">The chart file.</param>
    /// <param name="write">Writes the chart to the path.</param>
    /// <param name="warnings">Receives one line per chart that could not be written.</param>
    /// <returns>The path when the chart was written, otherwise <see langword="null"/>.</returns>
    public static string? TryWrite(string path, Action<string> write, ICollection<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(write);
        ArgumentNullException.ThrowIfNull(warnings);
        try
        {
            write(path);
            return path;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            warnings.Add($"chart '{path}' was not written ({e.Message.TrimEnd('.')}).");
            return null;
        }
    }

    private static void AddSeries(Plot plot, double[] x, double?[] y, string label, Color color)
    {
        var points = x.Zip(y).Where(p => p.Second is double v && double.IsFinite(v)).Select(p => new Coordinates(p.First, p.Second!.Value)).ToArray();
        if (points.Length == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(points, color);
        scatter.LegendText = label;
        scatter.MarkerSize = 6;
        scatter.LineWidth = 2;
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        StaleTempFiles.Remove(full);
        var temp = StaleTempFiles.NewTempPath(full);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
