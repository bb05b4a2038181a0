using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Cli.Output;
using TransferLearning.Data;
using TransferLearning.Prediction;

namespace TransferLearning.Cli.Commands;

/// <summary>Options of <c>tl predict</c>.</summary>
public sealed class PredictSettings : DeviceSettings
{
    /// <summary>Model file.</summary>
    [CommandOption("--model <MODEL>")]
    [Description("Model file (.tlm).")]
    public string? Model { get; init; }

    /// <summary>Images or folders of images to classify.</summary>
    [CommandArgument(0, "<IMAGES>")]
    [Description("Image files, or folders whose images (at any depth) are classified.")]
    public string[] Images { get; init; } = [];

    /// <summary>Number of classes listed per image.</summary>
    [CommandOption("--top <K>")]
    [Description("Classes listed per image, most probable first.")]
    [DefaultValue(3)]
    public int Top { get; init; } = 3;

    /// <summary>Average with the horizontally flipped image.</summary>
    [CommandOption("--tta")]
    [Description("Test-time augmentation: average the prediction with that of the mirrored image.")]
    public bool TestTimeAugmentation { get; init; }

    /// <summary>Images per forward pass.</summary>
    [CommandOption("--batch-size <B>")]
    [Description("Images per forward pass.")]
    [DefaultValue(32)]
    public int BatchSize { get; init; } = 32;

    /// <summary>Output format of the predictions: table, csv or json.</summary>
    [CommandOption("--format <FORMAT>")]
    [Description("How predictions are written: table (default on a terminal), csv or json (default: from the --output extension).")]
    public string? Format { get; init; }

    /// <summary>File the predictions are written to.</summary>
    [CommandOption("--output <FILE>")]
    [Description("Write the predictions to this file (CSV, or JSON for .json or --format json) instead of printing them.")]
    public string? Output { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (Top < 1)
        {
            return ValidationResult.Error($"--top must be at least 1, got {Top}.");
        }

        if (BatchSize < 1)
        {
            return ValidationResult.Error($"--batch-size must be at least 1, got {BatchSize}.");
        }

        return Format is null or "table" or "csv" or "json"
            ? ValidationResult.Success()
            : ValidationResult.Error($"--format must be table, csv or json, got '{Format}'.");
    }
}

/// <summary>
/// <c>tl predict</c>: the top classes of each image, with probabilities. Images go through the training data pipeline
/// in batches (constant memory however many); folders are read recursively; the predictions are printed as a table or
/// streamed as CSV or JSON to a file or standard output.
/// </summary>
public sealed class PredictCommand : Command<PredictSettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public PredictCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, PredictSettings settings, CancellationToken cancellationToken)
    {
        var modelPath = CliArguments.ExistingFile(settings.Model, "--model");
        if (settings.Images.Length == 0)
        {
            throw new CliUsageException("give at least one image file or folder to classify.");
        }

        var output = settings.Output is null ? null : CliArguments.OutputFile(settings.Output, "--output");
        var format = settings.Format
            ?? (output is null ? "table" : Path.GetExtension(output).Equals(".json", StringComparison.OrdinalIgnoreCase) ? "json" : "csv");
        if (output is not null && format == "table")
        {
            throw new CliUsageException("--format table cannot be written to --output; use csv or json.");
        }

        // Predictions on stdout (csv/json without --output, or --json): human messages go to stderr.
        var streamToStdout = output is null && format != "table";
        var human = environment.Human(settings.Json || streamToStdout);
        if (settings.Json && streamToStdout)
        {
            throw new CliUsageException("--json and --format csv|json both write to standard output; add --output FILE for the predictions.");
        }

        var (images, listingSkips) = ExpandInputs(settings.Images);
        DataChecks.ReportListing(human, "image folders", listingSkips);
        if (images.Count == 0)
        {
            throw new CliUsageException($"no image files found in {string.Join(", ", settings.Images.Select(i => $"'{i}'"))} (extensions: {string.Join(" ", ImageFolderOptions.DefaultExtensions)}).");
        }

        using var predictor = Predictor.FromFile(modelPath, new PredictorOptions
        {
            TopK = settings.Top,
            FlipTestTimeAugmentation = settings.TestTimeAugmentation,
            BatchSize = settings.BatchSize,
        }, CliArguments.Device(settings.Device));
        DataChecks.CheckMemory(settings.BatchSize, predictor.Model.Preprocessing.InputSize, images.Count, training: false);
        var k = Math.Min(settings.Top, predictor.ClassNames.Count);

        var collect = settings.Json || format == "table";
        var collected = new List<FilePrediction>();
        var classified = 0;
        var skipped = 0;
        var temp = output is null ? null : Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var writer = OpenWriter(temp))
            {
                var sink = format switch
                {
                    "csv" => (PredictionSink)new CsvSink(writer ?? environment.StdOut, predictor.ClassNames),
                    "json" => new JsonSink(writer ?? environment.StdOut, k),
                    _ => null,
                };
                human.Progress()
                    .AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("classifying", maxValue: images.Count);
                        foreach (var result in predictor.PredictFiles(images, cancellationToken: cancellationToken))
                        {
                            if (result.Prediction is null)
                            {
                                skipped++;
                            }
                            else
                            {
                                classified++;
                            }

                            sink?.Write(result);
                            if (collect)
                            {
                                collected.Add(result);
                            }

                            task.Increment(1);
                        }
                    });
                sink?.Finish();
            }

            if (temp is not null)
            {
                File.Move(temp, output!, overwrite: true);
                temp = null;
            }
        }
        finally
        {
            if (temp is not null && File.Exists(temp))
            {
                File.Delete(temp);
            }
        }

        if (settings.Json)
        {
            Json.Write(environment, new
            {
                Command = "predict",
                Model = modelPath,
                ClassNames = predictor.ClassNames,
                Classified = classified,
                Skipped = skipped,
                Output = output,
                Predictions = output is not null ? null : collected.Select(r => new
                {
                    Image = r.Path,
                    Class = r.Prediction?.ClassName,
                    Probability = r.Prediction?.Confidence,
                    Top = r.Prediction?.Top.Take(k).Select(t => new { Class = t.ClassName, t.Probability }).ToArray(),
                    r.Error?.Reason,
                    Error = r.Error?.Message,
                }).ToArray(),
                Listing = listingSkips.Count == 0 ? null : DataChecks.ForJson(listingSkips),
            });
        }

        if (format == "table")
        {
            WriteTable(human, modelPath, k, collected);
        }
        else if (output is not null)
        {
            human.MarkupLine($"[green]Wrote[/] {classified} prediction(s) to {Markup.Escape(output)} ({format}){(skipped > 0 ? $"; [yellow]{skipped} file(s) could not be classified[/] (listed with their reason)" : "")}.");
        }
        else if (skipped > 0)
        {
            human.MarkupLine($"[yellow]{skipped} file(s) could not be classified[/] (listed with their reason).");
        }

        return skipped > 0 ? TlApp.ExitFailure : TlApp.ExitOk;
    }

    private static StreamWriter? OpenWriter(string? path) =>
        path is null ? null : new StreamWriter(path, append: false, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

    /// <summary>Files as given, and the images below each folder (recursively, training's folder rules).</summary>
    private static (List<string> Images, List<BadFileEntry> Skipped) ExpandInputs(IEnumerable<string> inputs)
    {
        var images = new List<string>();
        var skipped = new List<BadFileEntry>();
        foreach (var input in inputs)
        {
            if (string.IsNullOrWhiteSpace(input))
            {
                throw new CliUsageException("an image argument is empty.");
            }

            if (Directory.Exists(input))
            {
                var list = ImageFileList.FromFolder(input);
                images.AddRange(list.Files);
                skipped.AddRange(list.Skipped);
            }
            else if (File.Exists(input))
            {
                images.Add(Path.GetFullPath(input));
            }
            else
            {
                throw new CliUsageException($"image: '{input}' does not exist (give image files or folders of images).");
            }
        }

        return (images, skipped);
    }

    private static void WriteTable(IAnsiConsole console, string modelPath, int k, IReadOnlyList<FilePrediction> results)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"Predictions ({Markup.Escape(Path.GetFileName(modelPath))})");
        table.AddColumn("Image");
        table.AddColumn("Class");
        table.AddColumn(new TableColumn("Probability").RightAligned());
        table.AddColumn($"Top {k}");
        foreach (var result in results)
        {
            if (result.Prediction is not { } prediction)
            {
                table.AddRow(Markup.Escape(Path.GetFileName(result.Path)), $"[red]{result.Error?.Reason.ToString() ?? "unreadable"}[/]", "", Markup.Escape(result.Error?.Message ?? ""));
                continue;
            }

            table.AddRow(
                Markup.Escape(Path.GetFileName(result.Path)),
                $"[bold]{Markup.Escape(prediction.ClassName)}[/]",
                prediction.Confidence.ToString("P1", CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(", ", prediction.Top.Take(k).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.ClassName} {t.Probability:P1}")))));
        }

        console.Write(table);
    }

    /// <summary>Writes predictions one at a time as they come.</summary>
    private abstract class PredictionSink
    {
        public abstract void Write(FilePrediction result);

        public abstract void Finish();
    }

    /// <summary>
    /// CSV (RFC 4180): <c>path,class,probability,error</c>, then one probability column per class in model order
    /// (as Keras' <c>model.predict</c> matrix or fastai's <c>get_preds</c>).
    /// </summary>
    private sealed class CsvSink : PredictionSink
    {
        private readonly TextWriter writer;
        private readonly int classes;

        public CsvSink(TextWriter writer, IReadOnlyList<string> classNames)
        {
            this.writer = writer;
            classes = classNames.Count;
            writer.WriteLine(string.Join(',', new[] { "path", "class", "probability", "error" }.Concat(classNames).Select(Quote)));
        }

        public override void Write(FilePrediction result)
        {
            var fields = new List<string>(4 + classes) { Quote(result.Path) };
            if (result.Prediction is { } p)
            {
                fields.Add(Quote(p.ClassName));
                fields.Add(p.Confidence.ToString("R", CultureInfo.InvariantCulture));
                fields.Add(string.Empty);
                fields.AddRange(p.Probabilities.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
            }
            else
            {
                fields.Add(string.Empty);
                fields.Add(string.Empty);
                fields.Add(Quote(result.Error?.Message ?? "could not be read"));
                fields.AddRange(Enumerable.Repeat(string.Empty, classes));
            }

            writer.WriteLine(string.Join(',', fields));
        }

        public override void Finish() => writer.Flush();

        private static string Quote(string value) =>
            value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>A JSON array of <c>{path, class, probability, top: [{class, probability}], reason, error}</c>, one element per line.</summary>
    private sealed class JsonSink : PredictionSink
    {
        private static readonly JsonSerializerOptions Compact = new(Json.Options) { WriteIndented = false };
        private readonly TextWriter writer;
        private readonly int k;
        private bool first = true;

        public JsonSink(TextWriter writer, int k)
        {
            this.writer = writer;
            this.k = k;
            writer.Write('[');
        }

        public override void Write(FilePrediction result)
        {
            writer.WriteLine(first ? string.Empty : ",");
            first = false;
            var record = new
            {
                result.Path,
                Class = result.Prediction?.ClassName,
                Probability = result.Prediction?.Confidence,
                Top = result.Prediction?.Top.Take(k).Select(t => new { Class = t.ClassName, t.Probability }).ToArray(),
                Reason = result.Error?.Reason.ToString(),
                Error = result.Error?.Message,
            };
            writer.Write(JsonSerializer.Serialize(record, Compact));
        }

        public override void Finish()
        {
            writer.WriteLine(first ? "]" : "\n]");
            writer.Flush();
        }
    }
}
