using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Cleaning;
using TransferLearning.Cli.Cleaning;
using TransferLearning.Cli.Output;
using TransferLearning.Data;
using TransferLearning.Persistence;

namespace TransferLearning.Cli.Commands;

/// <summary>Options of <c>tl clean</c>.</summary>
public sealed class CleanSettings : JsonSettings
{
    /// <summary>Labelled images, one subfolder per class (the training set when <see cref="Validation"/> is given).</summary>
    [CommandOption("--data <DIR>")]
    [Description("Labelled images, one subfolder per class (the training images when --val is given).")]
    public string? Data { get; init; }

    /// <summary>Validation images; near-duplicates across --data and --val are leaks.</summary>
    [CommandOption("--val <DIR>")]
    [Description("Validation images, one subfolder per class; near-duplicates across --data and --val are reported as leaks.")]
    public string? Validation { get; init; }

    /// <summary>Validation fraction when --val is not given (the same stratified split as tl train with the same --seed).</summary>
    [CommandOption("--val-split <F>")]
    [Description("Without --val: the validation fraction of tl train's stratified split (same --seed), for leak detection; 0 for none.")]
    [DefaultValue(0.2)]
    public double ValidationSplit { get; init; } = 0.2;

    /// <summary>Seed of the split and of the folds.</summary>
    [CommandOption("--seed <S>")]
    [Description("Seed of the split (as in tl train) and of the folds.")]
    [DefaultValue(42)]
    public int Seed { get; init; } = 42;

    /// <summary>A trained model whose (frozen) base gives the features.</summary>
    [CommandOption("--model <MODEL>")]
    [Description("Take the features from this model's base (.tlm) instead of --backbone/--weights.")]
    public string? Model { get; init; }

    /// <summary>Backbone giving the features.</summary>
    [CommandOption("--backbone <NAME>")]
    [Description("Backbone giving the features (see 'tl backbones').")]
    [DefaultValue("resnet18_cntk")]
    public string Backbone { get; init; } = "resnet18_cntk";

    /// <summary>Weights of the backbone.</summary>
    [CommandOption("--weights <SOURCE>")]
    [Description("imagenet, random, or a weights file.")]
    [DefaultValue("imagenet")]
    public string Weights { get; init; } = "imagenet";

    /// <summary>Input size; default the backbone's.</summary>
    [CommandOption("--image-size <S>")]
    [Description("Input size in pixels (default: the backbone's).")]
    public int? ImageSize { get; init; }

    /// <summary>Number of folds of the out-of-fold heads.</summary>
    [CommandOption("--folds <K>")]
    [Description("Folds: each image is scored by a linear head trained on the other folds.")]
    [DefaultValue(5)]
    public int Folds { get; init; } = 5;

    /// <summary>Cosine similarity threshold of near-duplicates.</summary>
    [CommandOption("--dup-threshold <C>")]
    [Description("Cosine similarity of the features at or above which two images are near-duplicates.")]
    [DefaultValue(0.95)]
    public double DuplicateThreshold { get; init; } = 0.95;

    /// <summary>Images per batch.</summary>
    [CommandOption("--batch-size <B>")]
    [Description("Images per batch.")]
    [DefaultValue(32)]
    public int BatchSize { get; init; } = 32;

    /// <summary>Folder of the report files.</summary>
    [CommandOption("--output <DIR>")]
    [Description("Folder for clean.html, label-issues.csv, duplicates.csv and clean.json.")]
    [DefaultValue("tl-clean")]
    public string Output { get; init; } = "tl-clean";

    /// <summary>Review folder the flagged files are moved into.</summary>
    [CommandOption("--move-to <DIR>")]
    [Description("Move flagged files (label issues; one file of each duplicate pair, the validation one for leaks) into this folder and write undo.sh. Nothing is deleted.")]
    public string? MoveTo { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (BatchSize < 1)
        {
            return ValidationResult.Error($"--batch-size must be at least 1, got {BatchSize}.");
        }

        if (Folds < 2)
        {
            return ValidationResult.Error($"--folds must be at least 2, got {Folds}.");
        }

        if (!(DuplicateThreshold > 0 && DuplicateThreshold <= 1))
        {
            return ValidationResult.Error($"--dup-threshold must be in (0, 1], got {DuplicateThreshold.ToString(CultureInfo.InvariantCulture)}.");
        }

        return ValidationSplit is < 0 or >= 1
            ? ValidationResult.Error($"--val-split must be in [0, 1), got {ValidationSplit.ToString(CultureInfo.InvariantCulture)}.")
            : ValidationResult.Success();
    }
}

/// <summary>
/// <c>tl clean</c>: likely label errors (confident learning on out-of-fold probabilities of k linear heads over the
/// frozen base's features) and near-duplicates (cosine similarity of the features; leaks when split across training
/// and validation). Writes an HTML page, CSV and JSON; <c>--move-to</c> moves flagged files into a review folder with
/// an undo script. Never deletes a file.
/// </summary>
public sealed class CleanCommand : Command<CleanSettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public CleanCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, CleanSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var human = environment.Human(settings.Json);
        var data = CliArguments.ExistingDirectory(settings.Data, "--data");
        var validationFolder = settings.Validation is null ? null : CliArguments.ExistingDirectory(settings.Validation, "--val");
        var output = Path.GetFullPath(settings.Output);
        if (File.Exists(output))
        {
            throw new CliUsageException($"--output: '{settings.Output}' is a file; give a folder.");
        }

        string? review = settings.MoveTo is null ? null : Path.GetFullPath(settings.MoveTo);
        foreach (var (folder, option) in new[] { (output, "--output"), (review, "--move-to") })
        {
            if (folder is not null && (IsInside(folder, data) || (validationFolder is not null && IsInside(folder, validationFolder))))
            {
                throw new CliUsageException($"{option}: '{folder}' is inside the image folders; it would be read as a class. Choose a folder outside them.");
            }
        }

        if (review is not null && File.Exists(review))
        {
            throw new CliUsageException($"--move-to: '{settings.MoveTo}' is a file; give a folder.");
        }

        // The images: training then validation, with a flag per image.
        ImageDataset dataset;
        bool[] isValidation;
        if (validationFolder is not null)
        {
            var splits = ImageDataset.FromFolders(data, validationFolder);
            dataset = new ImageDataset(splits.Train.ClassNames, splits.Train.Samples.Concat(splits.Validation.Samples));
            isValidation = Enumerable.Repeat(false, splits.Train.Count).Concat(Enumerable.Repeat(true, splits.Validation.Count)).ToArray();
        }
        else if (settings.ValidationSplit > 0)
        {
            var splits = ImageDataset.FromFolder(data).StratifiedSplit(settings.ValidationSplit, 0, settings.Seed);
            dataset = new ImageDataset(splits.Train.ClassNames, splits.Train.Samples.Concat(splits.Validation.Samples));
            isValidation = Enumerable.Repeat(false, splits.Train.Count).Concat(Enumerable.Repeat(true, splits.Validation.Count)).ToArray();
        }
        else
        {
            dataset = ImageDataset.FromFolder(data);
            isValidation = new bool[dataset.Count];
        }

        if (dataset.Count < settings.Folds)
        {
            throw new CliUsageException($"--data: {dataset.Count} images cannot be split into {settings.Folds} folds.");
        }

        human.MarkupLine($"[bold]Data[/]: {dataset.Count} images ({isValidation.Count(v => v)} validation), {dataset.ClassNames.Count} classes ({Markup.Escape(string.Join(", ", dataset.ClassNames))}).");

        TransferModel model;
        string featureSource;
        if (settings.Model is not null)
        {
            var modelPath = CliArguments.ExistingFile(settings.Model, "--model");
            model = TransferModelFile.Load(modelPath);
            featureSource = $"base of {modelPath} ({model.Backbone.Name})";
        }
        else
        {
            var backbone = CliArguments.Backbone(settings.Backbone);
            var size = settings.ImageSize ?? backbone.DefaultInputSize;
            if (size < backbone.MinInputSize)
            {
                throw new CliUsageException($"--image-size: {backbone.Name} needs at least {backbone.MinInputSize} pixels, got {size}.");
            }

            var weights = CliArguments.WeightsSource(settings.Weights);
            TransferModel? built = null;
            human.Status().Start($"Building {backbone.Name} with {weights.Description} weights...", _ =>
            {
                built = new TransferModelBuilder()
                    .WithBackbone(backbone)
                    .WithWeights(weights)
                    .WithInputSize(size)
                    .WithPreprocessing(backbone.Preprocessing.WithInputSize(size))
                    .WithClasses(dataset.ClassNames)
                    .WithSeed(settings.Seed)
                    .Build(cancellationToken);
            });
            model = built!;
            featureSource = $"{backbone.Name}, {weights.Description} weights, {size} px";
        }

        using var disposeModel = model;
        var buildSeconds = clock.Elapsed.TotalSeconds;
        var options = new CleaningOptions
        {
            Folds = settings.Folds,
            DuplicateThreshold = settings.DuplicateThreshold,
            BatchSize = settings.BatchSize,
            Seed = settings.Seed,
        };
        var loader = new DataLoader(dataset, ImageTransform.ForEvaluation(model.Preprocessing), new DataLoaderOptions { BatchSize = settings.BatchSize, Shuffle = false });
        CleaningResult? result = null;
        double featureSeconds = 0;
        human.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("reading images, caching features", maxValue: dataset.Count);
                var counting = new CountingBatchSource(loader, n =>
                {
                    task.Increment(n);
                    featureSeconds = clock.Elapsed.TotalSeconds - buildSeconds;
                });
                result = DatasetCleaner.Analyze(model, dataset, counting, isValidation, () => loader.Report.Entries, options, cancellationToken);
                task.Value = task.MaxValue;
            });
        var analysis = result!;

        var settingsRows = new List<KeyValuePair<string, string>>
        {
            new("features", featureSource),
            new("data", data),
            new("validation", validationFolder ?? (settings.ValidationSplit > 0 ? $"stratified split {settings.ValidationSplit.ToString(CultureInfo.InvariantCulture)} of --data, seed {settings.Seed}" : "none")),
            new("folds", settings.Folds.ToString(CultureInfo.InvariantCulture)),
            new("duplicate threshold (cosine)", settings.DuplicateThreshold.ToString(CultureInfo.InvariantCulture)),
            new("features reused from cache file", analysis.FeaturesReused ? "yes" : "no"),
        };
        var timings = new List<KeyValuePair<string, double>>
        {
            new("build the base", buildSeconds),
            new("read images, compute features", featureSeconds),
            new("heads, thresholds, duplicates", clock.Elapsed.TotalSeconds - buildSeconds - featureSeconds),
        };
        var files = CleanOutput.Write(output, analysis, settingsRows, timings);

        IReadOnlyList<ReviewMove>? moves = null;
        if (review is not null)
        {
            moves = ReviewMover.Move(review, Flagged(analysis, data, validationFolder));
        }

        if (settings.Json)
        {
            Json.Write(environment, CleanOutput.ToJson(analysis, settingsRows, files, moves));
        }

        WriteSummary(human, analysis, files, moves, review, clock.Elapsed.TotalSeconds);
        return TlApp.ExitOk;
    }

    /// <summary>The files <c>--move-to</c> moves: every label issue, and one file of each duplicate pair (the validation one for a leak, else the second).</summary>
    private static IEnumerable<(string Path, string Group, string Root, string Why)> Flagged(CleaningResult result, string data, string? validationFolder)
    {
        (string Set, string Root) Place(int index) =>
            validationFolder is not null && result.IsValidation[index] ? ("val", validationFolder) : ("data", data);

        foreach (var l in result.LabelIssues)
        {
            var (set, root) = Place(l.Index);
            yield return (l.Path, Path.Combine("label-issues", set), root, $"label issue: given {result.ClassNames[l.GivenLabel]}, looks like {result.ClassNames[l.SuggestedLabel]}");
        }

        foreach (var d in result.Duplicates)
        {
            int index = d.IsLeak && result.IsValidation[d.IndexA] ? d.IndexA : d.IndexB;
            int other = index == d.IndexA ? d.IndexB : d.IndexA;
            var (set, root) = Place(index);
            yield return (result.Samples[index].Path, Path.Combine(d.IsLeak ? "leaks" : "duplicates", set), root,
                $"{(d.IsLeak ? "leak" : "duplicate")} of {result.Samples[other].Path} (cosine {d.Similarity.ToString("F4", CultureInfo.InvariantCulture)})");
        }
    }

    private static bool IsInside(string folder, string root)
    {
        var relative = Path.GetRelativePath(root, folder);
        return relative == "." || (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative));
    }

    private static void WriteSummary(IAnsiConsole console, CleaningResult result, IReadOnlyDictionary<string, string> files, IReadOnlyList<ReviewMove>? moves, string? review, double seconds)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Likely label errors (most suspicious first)");
        table.AddColumn("#");
        table.AddColumn("Image");
        table.AddColumn("Given");
        table.AddColumn("Looks like");
        table.AddColumn(new TableColumn("p(given)").RightAligned());
        int rank = 0;
        foreach (var l in result.LabelIssues.Take(20))
        {
            table.AddRow((++rank).ToString(CultureInfo.InvariantCulture), Markup.Escape(Path.GetFileName(l.Path)), Markup.Escape(result.ClassNames[l.GivenLabel]),
                Markup.Escape(result.ClassNames[l.SuggestedLabel]), l.SelfConfidence.ToString("F2", CultureInfo.InvariantCulture));
        }

        if (result.LabelIssues.Count > 0)
        {
            console.Write(table);
        }

        int leaks = result.Duplicates.Count(d => d.IsLeak);
        console.MarkupLine($"[bold]{result.LabelIssues.Count}[/] likely label error(s), [bold]{result.Duplicates.Count}[/] near-duplicate pair(s), [bold]{leaks}[/] train/validation leak(s), {result.Skipped.Count} unreadable file(s) skipped; out-of-fold accuracy {result.OutOfFoldAccuracy.ToString("P1", CultureInfo.InvariantCulture)}.");
        if (moves is not null)
        {
            console.MarkupLine($"[yellow]Moved[/] {moves.Count(m => m.Moved)} file(s) into {Markup.Escape(review!)} ({moves.Count(m => !m.Moved)} left in place); undo with the undo script there.");
        }

        console.MarkupLine($"[green]Wrote[/] {Markup.Escape(files["html"])}, {Markup.Escape(Path.GetFileName(files["labelIssues"]))}, {Markup.Escape(Path.GetFileName(files["duplicates"]))}, {Markup.Escape(Path.GetFileName(files["json"]))}  [grey]({seconds:F0} s)[/]");
    }
}
