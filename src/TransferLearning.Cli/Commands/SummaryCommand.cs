using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Cli.Output;
using TransferLearning.Heads;
using TransferLearning.Persistence;
using TransferLearning.Summaries;

namespace TransferLearning.Cli.Commands;

/// <summary>Options of <c>tl summary</c>.</summary>
public sealed class SummarySettings : DeviceSettings
{
    /// <summary>Backbone to summarise (with the default head).</summary>
    [CommandOption("--backbone <NAME>")]
    [Description("Summarise a catalogue backbone with the default head (see 'tl backbones'). Give this or --model.")]
    public string? Backbone { get; init; }

    /// <summary>Saved model to summarise.</summary>
    [CommandOption("--model <MODEL>")]
    [Description("Summarise a saved model file (.tlm). Give this or --backbone.")]
    public string? Model { get; init; }

    /// <summary>Input size for --backbone.</summary>
    [CommandOption("--input-size <PIXELS>")]
    [Description("Square input size for --backbone. Default: the backbone's.")]
    public int? InputSize { get; init; }

    /// <summary>Number of classes for --backbone.</summary>
    [CommandOption("--classes <N>")]
    [Description("Number of classes of the head for --backbone.")]
    [DefaultValue(2)]
    public int Classes { get; init; } = 2;

    /// <summary>Truncation for --backbone.</summary>
    [CommandOption("--truncate-after <BLOCK>")]
    [Description("Keep the blocks up to and including this one (--backbone only).")]
    public string? TruncateAfter { get; init; }

    /// <summary>Unfrozen blocks for --backbone.</summary>
    [CommandOption("--unfreeze <N>")]
    [Description("Show the model with its top N base blocks trainable (default: base frozen, as for feature extraction).")]
    public int Unfreeze { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if ((Backbone is null) == (Model is null))
        {
            return ValidationResult.Error("give exactly one of --backbone NAME or --model FILE.");
        }

        if (Classes < 2)
        {
            return ValidationResult.Error($"--classes must be at least 2, got {Classes}.");
        }

        return Unfreeze < 0 ? ValidationResult.Error($"--unfreeze must not be negative, got {Unfreeze}.") : ValidationResult.Success();
    }
}

/// <summary><c>tl summary</c>: Keras' <c>model.summary()</c> for a backbone or a saved model.</summary>
public sealed class SummaryCommand : Command<SummarySettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public SummaryCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, SummarySettings settings, CancellationToken cancellationToken)
    {
        var device = CliArguments.Device(settings.Device);
        using var model = settings.Model is not null ? LoadModel(settings, device) : BuildModel(settings, device, cancellationToken);
        if (settings.Unfreeze > 0)
        {
            if (settings.Unfreeze > model.BlockNames.Count)
            {
                throw new CliUsageException($"--unfreeze: the base has {model.BlockNames.Count} blocks ({string.Join(", ", model.BlockNames)}).");
            }

            model.UnfreezeTop(settings.Unfreeze);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var summary = model.Summary();
        if (settings.Json)
        {
            Json.Write(environment, new
            {
                Command = "summary",
                summary.Backbone,
                summary.Weights,
                summary.TruncatedAfter,
                summary.InputSize,
                summary.ClassCount,
                summary.Device,
                Blocks = summary.Blocks.Select(b => new { b.Name, b.OutputShape, b.Parameters, Trainable = b.IsTrainable, b.BatchNormLayers, BatchNorm = b.BatchNorm.ToString().ToLowerInvariant() }).ToArray(),
                Head = summary.HeadLayers.Select(l => new { l.Name, l.Layer, l.OutputShape, l.Parameters, Trainable = l.IsTrainable }).ToArray(),
                summary.TotalParameters,
                summary.TrainableParameters,
                summary.FrozenParameters,
            });
            return TlApp.ExitOk;
        }

        environment.StdOut.WriteLine(summary.ToString());
        environment.StdOut.Flush();
        return TlApp.ExitOk;
    }

    private static TransferModel LoadModel(SummarySettings settings, TorchSharp.torch.Device device)
    {
        if (settings.Backbone is not null || settings.InputSize is not null || settings.TruncateAfter is not null)
        {
            throw new CliUsageException("--input-size and --truncate-after apply to --backbone only; a saved model has its own.");
        }

        var path = CliArguments.ExistingFile(settings.Model, "--model");
        return TransferModelFile.Load(path, device);
    }

    private static TransferModel BuildModel(SummarySettings settings, TorchSharp.torch.Device device, CancellationToken cancellationToken)
    {
        var info = CliArguments.Backbone(settings.Backbone);
        if (settings.TruncateAfter is not null && !info.Blocks.Any(b => b.Name.Equals(settings.TruncateAfter, StringComparison.OrdinalIgnoreCase)))
        {
            throw new CliUsageException($"--truncate-after: backbone '{info.Name}' has no block '{settings.TruncateAfter}' (blocks: {string.Join(", ", info.Blocks.Select(b => b.Name))}).");
        }

        // The summary does not depend on the weights: a random base avoids reading or downloading them.
        var builder = new TransferModelBuilder()
            .WithBackbone(info)
            .WithWeights(Weights.Weights.Random)
            .WithHead(new HeadOptions())
            .WithClassCount(settings.Classes)
            .TruncateAfter(settings.TruncateAfter)
            .OnDevice(device);
        if (settings.InputSize is int size)
        {
            if (size < info.MinInputSize)
            {
                throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"--input-size: backbone '{info.Name}' needs at least {info.MinInputSize} pixels, got {size}."));
            }

            builder.WithInputSize(size);
        }

        return builder.Build(cancellationToken);
    }
}
