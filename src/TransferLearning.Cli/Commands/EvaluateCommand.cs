using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Cli.Output;
using TransferLearning.Data;
using TransferLearning.Metrics;
using TransferLearning.Persistence;

namespace TransferLearning.Cli.Commands;

/// <summary>Options of <c>tl evaluate</c>.</summary>
public sealed class EvaluateSettings : DeviceSettings
{
    /// <summary>Model file written by <c>tl train</c> (or <c>TransferModelFile.Save</c>).</summary>
    [CommandOption("--model <MODEL>")]
    [Description("Model file (.tlm).")]
    public string? Model { get; init; }

    /// <summary>Labelled images, one subfolder per class (a subset of the model's classes).</summary>
    [CommandOption("--data <DIR>")]
    [Description("Labelled images, one subfolder per class (named like the model's classes).")]
    public string? Data { get; init; }

    /// <summary>Images per batch.</summary>
    [CommandOption("--batch-size <B>")]
    [Description("Images per batch.")]
    [DefaultValue(32)]
    public int BatchSize { get; init; } = 32;

    /// <summary>Confusion-matrix chart to write, optional.</summary>
    [CommandOption("--confusion <PNG>")]
    [Description("Also write the confusion matrix as a PNG chart.")]
    public string? Confusion { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate() =>
        BatchSize < 1 ? ValidationResult.Error($"--batch-size must be at least 1, got {BatchSize}.") : ValidationResult.Success();
}

/// <summary><c>tl evaluate</c>: accuracy, balanced accuracy, per-class precision/recall/F1 and the confusion matrix of a saved model on a folder.</summary>
public sealed class EvaluateCommand : Command<EvaluateSettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public EvaluateCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, EvaluateSettings settings, CancellationToken cancellationToken)
    {
        var human = environment.Human(settings.Json);
        var modelPath = CliArguments.ExistingFile(settings.Model, "--model");
        var data = CliArguments.ExistingDirectory(settings.Data, "--data");
        var confusion = settings.Confusion is null ? null : CliArguments.OutputFile(settings.Confusion, "--confusion");

        using var model = TransferModelFile.Load(modelPath, CliArguments.Device(settings.Device));
        var dataset = CliArguments.DatasetForModel(data, model.ClassNames);
        if (dataset.Count == 0)
        {
            throw new CliUsageException($"--data: no images found under '{data}'.");
        }

        DataChecks.CheckMemory(settings.BatchSize, model.Preprocessing.InputSize, dataset.Count, training: false);
        var loader = new DataLoader(dataset, ImageTransform.ForEvaluation(model.Preprocessing), new DataLoaderOptions { BatchSize = settings.BatchSize, Shuffle = false });
        ClassificationMetrics? metrics = null;
        human.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("evaluating", maxValue: dataset.Count);
                var counting = new CountingBatchSource(loader, n => task.Increment(n));
                metrics = Evaluator.Evaluate(model, counting, new EvaluationOptions { TopK = Math.Min(5, model.ClassCount) }, cancellationToken);
                task.Value = task.MaxValue;
            });

        var skippedEntries = dataset.ListingSkips.Concat(loader.Report.Entries).ToArray();
        if (metrics!.SampleCount == 0)
        {
            throw new DatasetException(
                $"none of the {dataset.Count} images under '{data}' can be read; e.g. {loader.Report.Entries.FirstOrDefault()?.Message}");
        }

        var report = MetricsReport.From(metrics!);
        var warnings = new List<string>();
        if (confusion is not null)
        {
            // The chart is secondary: a full disk or a vanished folder warns, the metrics are still reported (exit 0).
            confusion = Charts.TryWrite(confusion, path => Charts.WriteConfusion(report.ClassNames, report.ConfusionMatrix, path, $"Confusion matrix ({Path.GetFileName(data)})"), warnings);
        }

        var skipped = DataChecks.ForJson(skippedEntries);
        if (settings.Json)
        {
            Json.Write(environment, new
            {
                Command = "evaluate",
                Model = modelPath,
                Data = data,
                report.SampleCount,
                report.Accuracy,
                report.BalancedAccuracy,
                report.Loss,
                report.MacroF1,
                report.TopK,
                report.TopKAccuracy,
                report.ClassNames,
                report.PerClass,
                report.ConfusionMatrix,
                Skipped = skipped,
                Confusion = confusion,
                Warnings = warnings.Count == 0 ? null : warnings,
            });
        }

        report.Write(human, $"Evaluation of {Path.GetFileName(modelPath)} on {Path.GetFileName(data)}");
        DataChecks.ReportListing(human, "data folder", dataset.ListingSkips);
        DataChecks.Report(human, "evaluation", dataset.Count, loader.Report.Entries);
        foreach (var warning in warnings)
        {
            human.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        }

        return TlApp.ExitOk;
    }
}
