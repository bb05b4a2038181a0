using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Cli.Output;
using TransferLearning.Data;
using TransferLearning.Metrics;
using TransferLearning.Persistence;
using TransferLearning.Training;

namespace TransferLearning.Cli.Commands;

/// <summary>
/// <c>tl train</c>: reads an image folder, builds a model on a catalogue backbone, runs feature extraction then
/// fine-tuning with progress bars, evaluates on the validation set, saves the model and writes <c>curves.png</c> and
/// <c>confusion.png</c> beside it.
/// </summary>
public sealed class TrainCommand : Command<TrainCommandSettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public TrainCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, TrainCommandSettings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var human = environment.Human(settings.Json);
        var data = CliArguments.ExistingDirectory(settings.Data, "--data");
        var validationFolder = settings.Validation is null ? null : CliArguments.ExistingDirectory(settings.Validation, "--val");
        var output = CliArguments.OutputFile(settings.Output, "--output");
        var backbone = CliArguments.Backbone(settings.Backbone);
        var size = settings.ImageSize ?? backbone.DefaultInputSize;
        if (size < backbone.MinInputSize)
        {
            throw new CliUsageException($"--image-size: {backbone.Name} needs at least {backbone.MinInputSize} pixels, got {size}.");
        }

        if (size > ImagePreprocessing.MaxInputSize)
        {
            throw new CliUsageException($"--image-size: at most {ImagePreprocessing.MaxInputSize} pixels, got {size}.");
        }

        if (settings.EpochsFineTune > 0 && settings.Unfreeze > backbone.Blocks.Count)
        {
            throw new CliUsageException($"--unfreeze: {backbone.Name} has {backbone.Blocks.Count} blocks ({string.Join(", ", backbone.Blocks.Select(b => b.Name))}), got {settings.Unfreeze}.");
        }

        if (settings.Cache && settings.Augment)
        {
            throw new CliUsageException("--cache and --augment cannot be combined: cached features need a deterministic transform.");
        }

        var weights = CliArguments.WeightsSource(settings.Weights);
        var preprocessing = backbone.Preprocessing.WithInputSize(size);

        var listing = ImageDataset.FromFolder(data);
        var listed = validationFolder is null
            ? listing.StratifiedSplit(settings.ValidationSplit, 0, settings.Seed)
            : ImageDataset.FromFolders(data, validationFolder);
        var classNames = listed.Train.ClassNames;
        if (listed.Validation.Count == 0)
        {
            throw new CliUsageException("--val-split leaves no validation images; use a larger fraction or --val.");
        }

        DataChecks.CheckMemory(settings.BatchSize, size, Math.Max(listed.Train.Count, listed.Validation.Count), training: true);
        var trainTransform = settings.Augment
            ? ImageTransform.ForTraining(preprocessing, AugmentationOptions.Default)
            : ImageTransform.ForEvaluation(preprocessing);
        var evalTransform = ImageTransform.ForEvaluation(preprocessing);

        // Every image is decoded once up front: the counts below are the samples really used, and a class or a
        // validation set left without a readable image is refused before any training time is spent.
        var trainCheck = DataChecks.Verify(human, "training", listed.Train, trainTransform, cancellationToken);
        var validationCheck = DataChecks.Verify(human, "validation", listed.Validation, evalTransform, cancellationToken);
        var listingSkips = validationFolder is null ? listing.ListingSkips : listed.Train.ListingSkips.Concat(listed.Validation.ListingSkips).ToArray();
        DataChecks.ReportListing(human, "data folder", listingSkips);
        DataChecks.Report(human, "training", listed.Train.Count, trainCheck.Skipped);
        DataChecks.Report(human, "validation", listed.Validation.Count, validationCheck.Skipped);
        DataChecks.RequireReadable("training", listed.Train, trainCheck, everyClass: true);
        DataChecks.RequireReadable("validation", listed.Validation, validationCheck, everyClass: false);
        var splits = new DatasetSplits(trainCheck.Readable, validationCheck.Readable, null);
        var skippedCount = trainCheck.Skipped.Count + validationCheck.Skipped.Count;
        human.MarkupLine($"[bold]Data[/]: {splits.Train.Count} training and {splits.Validation.Count} validation images, {classNames.Count} classes ({Markup.Escape(string.Join(", ", classNames))}){(skippedCount > 0 ? $", {skippedCount} unreadable file(s) skipped" : "")}.");

        var train = new DataLoader(splits.Train, trainTransform, new DataLoaderOptions { BatchSize = settings.BatchSize, Shuffle = true, Seed = settings.Seed });
        var validation = new DataLoader(splits.Validation, evalTransform, new DataLoaderOptions { BatchSize = settings.BatchSize, Shuffle = false, Seed = settings.Seed });

        TransferModel? model = null;
        human.Status().Start(Markup.Escape($"Building {backbone.Name} with {weights.Description} weights..."), _ =>
        {
            model = new TransferModelBuilder()
                .WithBackbone(backbone)
                .WithWeights(weights)
                .WithInputSize(size)
                .WithPreprocessing(preprocessing)
                .WithClasses(classNames)
                .WithSeed(settings.Seed)
                .OnDevice(CliArguments.Device(settings.Device))
                .Build(cancellationToken);
        });
        using var built = model!;
        human.MarkupLine($"[bold]Model[/]: {backbone.DisplayName} ({Markup.Escape(weights.Description)} weights), input {size}px, {built.ParameterCount:N0} parameters, head {built.FeatureSize} -> {classNames.Count}.");

        var plan = TrainingPlan.Default(
            headEpochs: settings.EpochsHead,
            fineTuneEpochs: settings.EpochsFineTune,
            unfrozenBlocks: settings.Unfreeze,
            headLearningRate: settings.LearningRateHead,
            fineTuneLearningRate: LearningRates.Constant(settings.LearningRateFineTune));
        using var trainer = new Trainer(built, new TrainerOptions
        {
            Seed = settings.Seed,
            FeatureCache = new FeatureCacheOptions { Enabled = settings.Cache },
            TopK = Math.Min(5, classNames.Count),
        });

        var history = RunWithProgress(human, trainer, train, validation, plan, cancellationToken);
        if (history.WasCancelled)
        {
            throw new OperationCanceledException("Training was cancelled; no model was written.");
        }

        var metrics = Evaluator.Evaluate(built, validation, new EvaluationOptions { TopK = Math.Min(5, classNames.Count) }, cancellationToken);
        var report = MetricsReport.From(metrics);
        TransferModelFile.Save(built, output, new ModelMetadata
        {
            Description = $"tl train --backbone {backbone.Name} --weights {weights.Description} on {Path.GetFileName(data)}",
            Metrics = new Dictionary<string, double>
            {
                ["val_accuracy"] = metrics.Accuracy,
                ["val_balanced_accuracy"] = metrics.BalancedAccuracy,
                ["val_loss"] = metrics.Loss,
            },
            Properties = new Dictionary<string, string>
            {
                ["data"] = data,
                ["weights"] = weights.Description,
                ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
            },
        }, cancellationToken);

        var points = history.Epochs.Select(ToPoint).ToArray();
        var directory = Path.GetDirectoryName(output)!;
        var curves = Path.Combine(directory, "curves.png");
        var confusion = Path.Combine(directory, "confusion.png");
        var warnings = new List<string>();
        var curvesWritten = Charts.TryWrite(curves, path => Charts.WriteCurves(points, path), warnings);
        var confusionWritten = Charts.TryWrite(confusion, path => Charts.WriteConfusion(classNames, metrics.ConfusionMatrix, path), warnings);
        var reportWritten = Charts.TryWrite(
            Path.Combine(directory, Report.TrainingReport.FileName),
            _ => Report.TrainingReport.Write(output, built, splits.Validation, settings, history, train.Report.Entries.Concat(validation.Report.Entries), clock.Elapsed.TotalSeconds, settings.BatchSize, human, cancellationToken),
            warnings);
        foreach (var warning in warnings)
        {
            human.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)} The model was saved.");
        }

        if (settings.Json)
        {
            Json.Write(environment, new
            {
                Command = "train",
                Model = output,
                Backbone = backbone.Name,
                Weights = weights.Description,
                ImageSize = size,
                TrainSamples = splits.Train.Count,
                ValidationSamples = splits.Validation.Count,
                Skipped = new
                {
                    Listing = DataChecks.ForJson(listingSkips),
                    Train = DataChecks.ForJson(trainCheck.Skipped.Concat(train.Report.Entries)),
                    Validation = DataChecks.ForJson(validationCheck.Skipped.Concat(validation.Report.Entries)),
                },
                report.Accuracy,
                report.BalancedAccuracy,
                report.Loss,
                report.MacroF1,
                report.TopK,
                report.TopKAccuracy,
                report.ClassNames,
                report.PerClass,
                report.ConfusionMatrix,
                History = plan.Phases.Select(p => new
                {
                    Phase = p.Name,
                    Epochs = points.Where(e => e.Phase == p.Name).ToArray(),
                }).ToArray(),
                Charts = new { Curves = curvesWritten, Confusion = confusionWritten, Report = reportWritten },
                Warnings = warnings,
                Seconds = clock.Elapsed.TotalSeconds,
            });
        }

        WriteHistory(human, history);
        report.Write(human, "Validation (final model)");
        var written = new[] { curvesWritten, confusionWritten }.OfType<string>().ToArray();
        var chartsText = written.Length == 0 ? "no charts" : "charts: " + string.Join(", ", written);
        human.MarkupLine($"[green]Saved[/] {Markup.Escape(output)}  [grey]({Markup.Escape(chartsText)}; {clock.Elapsed.TotalSeconds:F0} s)[/]");
        return TlApp.ExitOk;
    }

    internal static TrainingHistory RunWithProgress(IAnsiConsole console, Trainer trainer, DataLoader train, DataLoader validation, TrainingPlan plan, CancellationToken cancellationToken)
    {
        TrainingHistory? history = null;
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn(),
                new SpinnerColumn())
            .Start(ctx =>
            {
                // First pass over the images (decoding, and with --cache the base's features): a bar of its own, since
                // the trainer reports batches only once the head trains.
                var reading = ctx.AddTask(trainer.Options.FeatureCache.Enabled ? "reading images, caching features" : "reading images (first pass)", maxValue: train.SampleCount + validation.SampleCount);
                void Read(int n)
                {
                    if (!reading.IsFinished)
                    {
                        reading.Increment(n);
                        if (reading.Value >= reading.MaxValue)
                        {
                            reading.StopTask();
                        }
                    }
                }

                var countedTrain = new CountingBatchSource(train, Read);
                var countedValidation = new CountingBatchSource(validation, Read);
                var tasks = plan.Phases
                    .Select(p => ctx.AddTask(Markup.Escape(p.Name), autoStart: false, maxValue: Math.Max(1, p.Epochs * train.BatchesPerEpoch)))
                    .ToArray();
                var reporter = new ProgressReporter<TrainingProgress>(p =>
                {
                    var task = tasks[p.PhaseIndex];
                    if (!task.IsStarted)
                    {
                        task.StartTask();
                    }

                    for (var i = 0; i < p.PhaseIndex; i++)
                    {
                        tasks[i].Value = tasks[i].MaxValue;
                        tasks[i].StopTask();
                    }

                    task.Value = ((p.Epoch - 1) * (double)p.Batches) + p.Batch;
                    task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{p.Phase} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3} acc {p.Accuracy:P0}"));
                });
                history = trainer.Fit(countedTrain, countedValidation, plan, callbacks: null, progress: reporter, cancellationToken: cancellationToken);
                reading.StopTask();
                foreach (var task in tasks)
                {
                    if (!history.WasCancelled)
                    {
                        task.Value = task.MaxValue;
                    }

                    task.StopTask();
                }
            });
        return history!;
    }

    internal static EpochPoint ToPoint(EpochRecord e) => new(
        e.Phase,
        e.Epoch,
        e.TrainLoss,
        e.TrainAccuracy,
        e.ValidationLoss,
        e.ValidationAccuracy,
        e.LearningRates.Count == 0 ? double.NaN : e.LearningRates.Values.Last(),
        e.Seconds);

    private static void WriteHistory(IAnsiConsole console, TrainingHistory history)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("Training history");
        table.AddColumn("Phase");
        table.AddColumn(new TableColumn("Epoch").RightAligned());
        table.AddColumn(new TableColumn("Train loss").RightAligned());
        table.AddColumn(new TableColumn("Train acc").RightAligned());
        table.AddColumn(new TableColumn("Val loss").RightAligned());
        table.AddColumn(new TableColumn("Val acc").RightAligned());
        table.AddColumn("Trainable");
        table.AddColumn(new TableColumn("Seconds").RightAligned());
        foreach (var e in history.Epochs)
        {
            table.AddRow(
                Markup.Escape(e.Phase),
                e.Epoch.ToString(CultureInfo.InvariantCulture),
                e.TrainLoss.ToString("F4", CultureInfo.InvariantCulture),
                e.TrainAccuracy.ToString("P1", CultureInfo.InvariantCulture),
                e.ValidationLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? "-",
                e.ValidationAccuracy?.ToString("P1", CultureInfo.InvariantCulture) ?? "-",
                Markup.Escape(e.TrainableBlocks.Count == 0 ? "head" : string.Join("+", e.TrainableBlocks) + "+head") + (e.UsedFeatureCache ? " [grey](cached)[/]" : ""),
                e.Seconds.ToString("F1", CultureInfo.InvariantCulture));
        }

        console.Write(table);
    }
}
