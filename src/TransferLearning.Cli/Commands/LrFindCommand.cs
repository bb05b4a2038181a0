using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Cli.Output;
using TransferLearning.Data;
using TransferLearning.Training;

namespace TransferLearning.Cli.Commands;

/// <summary>Options of <c>tl lr-find</c>.</summary>
public sealed class LrFindSettings : TrainSettings
{
    /// <summary>Top blocks to unfreeze before the sweep (0: the head only, i.e. the rate of phase 1).</summary>
    [CommandOption("--unfreeze <K>")]
    [Description("Top blocks unfrozen during the sweep: 0 sweeps the head (phase 1), K > 0 the fine-tuning phase.")]
    [DefaultValue(0)]
    public int Unfreeze { get; init; }

    /// <summary>First rate of the sweep.</summary>
    [CommandOption("--start-lr <X>")]
    [Description("First learning rate of the exponential sweep.")]
    [DefaultValue(1e-7)]
    public double StartLearningRate { get; init; } = 1e-7;

    /// <summary>Last rate of the sweep.</summary>
    [CommandOption("--end-lr <X>")]
    [Description("Last learning rate of the sweep (it stops earlier if the loss diverges).")]
    [DefaultValue(10.0)]
    public double EndLearningRate { get; init; } = 10;

    /// <summary>Number of steps (batches).</summary>
    [CommandOption("--steps <N>")]
    [Description("Steps (batches) of the sweep.")]
    [DefaultValue(100)]
    public int Steps { get; init; } = 100;

    /// <summary>Chart of the curve to write.</summary>
    [CommandOption("--plot <PNG>")]
    [Description("Write the loss-against-rate curve with the suggestion as a PNG chart.")]
    public string? Plot { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        var baseResult = base.Validate();
        if (!baseResult.Successful)
        {
            return baseResult;
        }

        if (!(StartLearningRate > 0) || !(EndLearningRate > StartLearningRate) || !double.IsFinite(EndLearningRate))
        {
            return ValidationResult.Error("--start-lr and --end-lr must be positive with --start-lr < --end-lr.");
        }

        if (Steps < 5)
        {
            return ValidationResult.Error($"--steps must be at least 5, got {Steps}.");
        }

        return Unfreeze < 0 ? ValidationResult.Error($"--unfreeze must be >= 0, got {Unfreeze}.") : ValidationResult.Success();
    }
}

/// <summary><c>tl lr-find</c>: fastai's learning-rate finder on a folder, for the head or for the top blocks.</summary>
public sealed class LrFindCommand : Command<LrFindSettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public LrFindCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, LrFindSettings settings, CancellationToken cancellationToken)
    {
        var human = environment.Human(settings.Json);
        var data = CliArguments.ExistingDirectory(settings.Data, "--data");
        var backbone = CliArguments.Backbone(settings.Backbone);
        var plot = settings.Plot is null ? null : CliArguments.OutputFile(settings.Plot, "--plot");
        var size = settings.ImageSize ?? backbone.DefaultInputSize;
        if (size < backbone.MinInputSize)
        {
            throw new CliUsageException($"--image-size: {backbone.Name} needs at least {backbone.MinInputSize} pixels, got {size}.");
        }

        if (settings.Unfreeze > backbone.Blocks.Count)
        {
            throw new CliUsageException($"--unfreeze: {backbone.Name} has {backbone.Blocks.Count} blocks, got {settings.Unfreeze}.");
        }

        if (size > ImagePreprocessing.MaxInputSize)
        {
            throw new CliUsageException($"--image-size: at most {ImagePreprocessing.MaxInputSize} pixels, got {size}.");
        }

        var weights = CliArguments.WeightsSource(settings.Weights);
        var preprocessing = backbone.Preprocessing.WithInputSize(size);
        var listed = ImageDataset.FromFolder(data);
        DataChecks.CheckMemory(settings.BatchSize, size, listed.Count, training: true);
        var transform = settings.Augment ? ImageTransform.ForTraining(preprocessing, AugmentationOptions.Default) : ImageTransform.ForEvaluation(preprocessing);
        var check = DataChecks.Verify(human, "training", listed, transform, cancellationToken);
        DataChecks.ReportListing(human, "data folder", listed.ListingSkips);
        DataChecks.Report(human, "training", listed.Count, check.Skipped);
        DataChecks.RequireReadable("training", listed, check, everyClass: true);
        var dataset = check.Readable;
        var loader = new DataLoader(dataset, transform, new DataLoaderOptions { BatchSize = settings.BatchSize, Shuffle = true, Seed = settings.Seed });

        TransferModel? model = null;
        human.Status().Start(Markup.Escape($"Building {backbone.Name} with {weights.Description} weights..."), _ =>
        {
            model = new TransferModelBuilder()
                .WithBackbone(backbone)
                .WithWeights(weights)
                .WithInputSize(size)
                .WithPreprocessing(preprocessing)
                .WithClasses(dataset.ClassNames)
                .WithSeed(settings.Seed)
                .OnDevice(CliArguments.Device(settings.Device))
                .Build(cancellationToken);
        });
        using var built = model!;
        if (settings.Unfreeze > 0)
        {
            built.UnfreezeTop(settings.Unfreeze);
        }

        var options = new LearningRateFinderOptions
        {
            StartLearningRate = settings.StartLearningRate,
            EndLearningRate = settings.EndLearningRate,
            Steps = settings.Steps,
            Seed = settings.Seed,
        };
        LearningRateFinderResult? result = null;
        human.Status().Start(Markup.Escape($"Sweeping the learning rate of {(settings.Unfreeze == 0 ? "the head" : string.Join("+", built.TrainableBlocks) + " and the head")} ({settings.Steps} steps)..."), _ =>
        {
            result = LearningRateFinder.Find(built, loader, options, cancellationToken: cancellationToken);
        });

        var r = result!;
        var warnings = new List<string>();
        if (plot is not null)
        {
            plot = Charts.TryWrite(plot, path => Charts.WriteLrFinder(r.LearningRates, r.Losses, r.Suggested, path), warnings);
        }

        foreach (var warning in warnings)
        {
            human.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        }

        if (settings.Json)
        {
            Json.Write(environment, new
            {
                Command = "lr-find",
                Backbone = backbone.Name,
                Weights = weights.Description,
                TrainableBlocks = built.TrainableBlocks,
                r.Suggested,
                r.Valley,
                r.Steepest,
                r.MinimumOverTen,
                r.LearningRates,
                r.Losses,
                Plot = plot,
                Samples = dataset.Count,
                Skipped = DataChecks.ForJson(listed.ListingSkips.Concat(check.Skipped)),
                Warnings = warnings,
            });
            return TlApp.ExitOk;
        }

        var table = new Table().Border(TableBorder.Rounded).Title("Learning-rate finder");
        table.AddColumn("Rule");
        table.AddColumn(new TableColumn("Learning rate").RightAligned());
        table.AddRow("[bold]suggested (valley)[/]", $"[bold]{Rate(r.Valley)}[/]");
        table.AddRow("steepest descent", Rate(r.Steepest));
        table.AddRow("minimum / 10", Rate(r.MinimumOverTen));
        human.Write(table);
        human.MarkupLine($"{r.LearningRates.Count} steps from {Rate(r.LearningRates[0])} to {Rate(r.LearningRates[^1])}." + (settings.Plot is null ? " Add --plot lr.png to see the curve." : plot is null ? "" : $" Curve: {Markup.Escape(plot)}"));
        human.MarkupLine(settings.Unfreeze == 0
            ? $"Use it with: tl train ... --lr-head {Rate(r.Suggested)}"
            : $"Use it with: tl train ... --unfreeze {settings.Unfreeze} --lr-finetune {Rate(r.Suggested)}");
        return TlApp.ExitOk;
    }

    private static string Rate(double value) => value.ToString("G2", CultureInfo.InvariantCulture);
}
