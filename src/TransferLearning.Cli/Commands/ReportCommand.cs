using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Cli.Output;
using TransferLearning.Cli.Report;
using TransferLearning.Persistence;

namespace TransferLearning.Cli.Commands;

/// <summary>Options of <c>tl report</c>.</summary>
public sealed class ReportSettings : JsonSettings
{
    /// <summary>Model file written by <c>tl train</c>.</summary>
    [CommandOption("--model <MODEL>")]
    [Description("Model file (.tlm).")]
    public string? Model { get; init; }

    /// <summary>Labelled images, one subfolder per class.</summary>
    [CommandOption("--data <DIR>")]
    [Description("Labelled images, one subfolder per class (named like the model's classes).")]
    public string? Data { get; init; }

    /// <summary>HTML file to write; default <c>report-&lt;data folder&gt;.html</c> beside the model.</summary>
    [CommandOption("--output <HTML>")]
    [Description("HTML file to write. Default: report-<data folder name>.html beside the model.")]
    public string? Output { get; init; }

    /// <summary>Images in the top-losses gallery.</summary>
    [CommandOption("--top-losses <N>")]
    [Description("Images in the top-losses gallery.")]
    [DefaultValue(24)]
    public int TopLosses { get; init; } = 24;

    /// <summary>Images per batch.</summary>
    [CommandOption("--batch-size <B>")]
    [Description("Images per batch.")]
    [DefaultValue(32)]
    public int BatchSize { get; init; } = 32;

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (BatchSize < 1)
        {
            return ValidationResult.Error($"--batch-size must be at least 1, got {BatchSize}.");
        }

        return TopLosses < 0 ? ValidationResult.Error($"--top-losses must be 0 or more, got {TopLosses}.") : ValidationResult.Success();
    }
}

/// <summary>
/// <c>tl report</c>: evaluates a saved model on a labelled folder and writes a self-contained HTML page: metrics,
/// confusion matrix, per-class scores, most-confused pairs, the top losses with thumbnails and the skipped images.
/// </summary>
public sealed class ReportCommand : Command<ReportSettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public ReportCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, ReportSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var human = environment.Human(settings.Json);
        var modelPath = CliArguments.ExistingFile(settings.Model, "--model");
        var data = CliArguments.ExistingDirectory(settings.Data, "--data");
        var output = CliArguments.OutputFile(
            settings.Output ?? Path.Combine(Path.GetDirectoryName(modelPath)!, $"report-{Path.GetFileName(data.TrimEnd(Path.DirectorySeparatorChar))}.html"),
            "--output");

        var loaded = TransferModelFile.LoadWithManifest(modelPath);
        using var model = loaded.Model;
        var loadSeconds = clock.Elapsed.TotalSeconds;
        var dataset = CliArguments.DatasetForModel(data, model.ClassNames);
        if (dataset.Count == 0)
        {
            throw new CliUsageException($"--data: no images found under '{data}'.");
        }

        IReadOnlyList<SampleResult> samples = [];
        IReadOnlyList<TransferLearning.Data.BadFileEntry> skipped = [];
        var evaluation = Stopwatch.StartNew();
        human.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("evaluating", maxValue: dataset.Count);
                (samples, skipped) = ReportBuilder.Evaluate(model, dataset, settings.BatchSize, n => task.Increment(n), cancellationToken);
                task.Value = task.MaxValue;
            });
        evaluation.Stop();
        if (samples.Count == 0)
        {
            throw new CliUsageException($"--data: none of the {dataset.Count} images under '{data}' could be read.");
        }

        var metrics = ReportBuilder.Metrics(model.ClassNames, samples);
        var rows = new List<KeyValuePair<string, string>>
        {
            new("model", modelPath),
            new("backbone", $"{model.Backbone.DisplayName} ({model.Spec.Backbone})"),
            new("input size", model.InputSize.ToString(CultureInfo.InvariantCulture) + " px"),
            new("classes", string.Join(", ", model.ClassNames)),
            new("data", data),
        };
        var manifest = loaded.Manifest;
        rows.Add(new("model saved", manifest.CreatedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC"));
        if (manifest.Metadata.Description.Length > 0)
        {
            rows.Add(new("model description", manifest.Metadata.Description));
        }

        rows.AddRange(manifest.Metadata.Metrics.Select(kv => new KeyValuePair<string, string>("saved metric " + kv.Key, kv.Value.ToString("G4", CultureInfo.InvariantCulture))));
        rows.AddRange(manifest.Metadata.Properties.Select(kv => new KeyValuePair<string, string>("saved property " + kv.Key, kv.Value)));

        var report = new ReportData
        {
            Title = $"Report: {Path.GetFileName(modelPath)} on {Path.GetFileName(data)}",
            DataDescription = $"{samples.Count} images from {data}",
            Settings = rows,
            Timings =
            [
                new("load model", loadSeconds),
                new("evaluate images", evaluation.Elapsed.TotalSeconds),
            ],
            Metrics = metrics,
            Samples = samples,
            Skipped = skipped,
            TopLosses = settings.TopLosses,
        };
        HtmlReport.Write(report, output);

        if (settings.Json)
        {
            Json.Write(environment, new
            {
                Command = "report",
                Model = modelPath,
                Data = data,
                Report = output,
                metrics.SampleCount,
                metrics.Accuracy,
                MostConfused = ReportBuilder.MostConfused(metrics),
                Skipped = skipped.Select(e => new { e.Path, Reason = e.Reason.ToString(), e.Message }).ToArray(),
                Seconds = clock.Elapsed.TotalSeconds,
            });
        }

        human.MarkupLine($"[green]Report[/] {Markup.Escape(output)}  [grey]({samples.Count} images, accuracy {metrics.Accuracy.ToString("P1", CultureInfo.InvariantCulture)}, {skipped.Count} skipped; {clock.Elapsed.TotalSeconds:F0} s)[/]");
        return TlApp.ExitOk;
    }
}
