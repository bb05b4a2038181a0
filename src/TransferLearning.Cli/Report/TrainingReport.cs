using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Cli.Output;
using TransferLearning.Data;
using TransferLearning.Training;

namespace TransferLearning.Cli.Report;

/// <summary>Writes <c>report.html</c> beside a model <c>tl train</c> just saved.</summary>
internal static class TrainingReport
{
    /// <summary>File name of the report beside the model.</summary>
    public const string FileName = "report.html";

    /// <summary>
    /// Evaluates the validation set once more (per image, for the confusion matrix and top losses) and writes
    /// <c>report.html</c> in the model's folder.
    /// </summary>
    /// <param name="modelPath">The saved model file.</param>
    /// <param name="model">The trained model.</param>
    /// <param name="validation">The validation images (labels in model class order).</param>
    /// <param name="settings">The command's settings (every <c>--option</c> is listed).</param>
    /// <param name="history">The training history.</param>
    /// <param name="trainingSkipped">Images the training and validation loaders skipped as unreadable.</param>
    /// <param name="runSeconds">Wall time of the command so far.</param>
    /// <param name="batchSize">Images per batch.</param>
    /// <param name="console">Where the report's path is printed.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <returns>The report's path.</returns>
    public static string Write(
        string modelPath,
        TransferModel model,
        ImageDataset validation,
        object settings,
        TrainingHistory history,
        IEnumerable<BadFileEntry> trainingSkipped,
        double runSeconds,
        int batchSize,
        IAnsiConsole console,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (samples, skipped) = ReportBuilder.Evaluate(model, validation, batchSize, null, cancellationToken);
        var points = history.Epochs.Select(Commands.TrainCommand.ToPoint).ToArray();
        var timings = new List<KeyValuePair<string, double>>();
        foreach (var phase in points.Select(p => p.Phase).Distinct())
        {
            timings.Add(new($"{phase} ({points.Count(p => p.Phase == phase)} epochs)", points.Where(p => p.Phase == phase).Sum(p => p.Seconds)));
        }

        timings.Add(new("training run, to the saved model", runSeconds));
        timings.Add(new("report evaluation", clock.Elapsed.TotalSeconds));
        var settingsRows = new List<KeyValuePair<string, string>>
        {
            new("model", modelPath),
            new("backbone", $"{model.Backbone.DisplayName} ({model.Spec.Backbone})"),
            new("input size", model.InputSize.ToString(CultureInfo.InvariantCulture) + " px"),
            new("classes", string.Join(", ", model.ClassNames)),
            new("parameters", model.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)),
        };
        settingsRows.AddRange(Options(settings));
        var all = trainingSkipped.Concat(skipped).DistinctBy(s => s.Path).ToArray();
        var data = new ReportData
        {
            Title = $"Training report: {Path.GetFileName(modelPath)}",
            DataDescription = $"Validation set: {samples.Count} images",
            Settings = settingsRows,
            Timings = timings,
            History = points,
            Metrics = ReportBuilder.Metrics(model.ClassNames, samples),
            Samples = samples,
            Skipped = all,
        };
        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, FileName);
        HtmlReport.Write(data, path);
        console.MarkupLine($"[green]Report[/] {Markup.Escape(path)}");
        return path;
    }

    /// <summary>The <c>--option value</c> pairs of a Spectre settings object, in declaration order.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Options(object settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var property in settings.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is { } option && option.LongNames.Count > 0)
            {
                var value = property.GetValue(settings);
                var text = value switch
                {
                    null => "(not set)",
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    _ => value.ToString() ?? "",
                };
                yield return new("--" + option.LongNames[0], text);
            }
        }
    }
}
