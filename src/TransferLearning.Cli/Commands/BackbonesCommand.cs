using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Backbones;
using TransferLearning.Cli.Output;
using TransferLearning.Data;

namespace TransferLearning.Cli.Commands;

/// <summary><c>tl backbones</c>: the catalogue as a table (or JSON).</summary>
public sealed class BackbonesCommand : Command<JsonSettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public BackbonesCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, JsonSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Json)
        {
            Json.Write(environment, new
            {
                Backbones = BackboneCatalog.All.Select(b => new
                {
                    b.Name,
                    b.DisplayName,
                    b.Description,
                    Blocks = b.Blocks.Select(k => k.Name).ToArray(),
                    b.FeatureChannels,
                    b.DefaultInputSize,
                    b.MinInputSize,
                    Preprocessing = Describe(b.Preprocessing),
                    Weights = b.Pretrained.Select(w => new { w.Name, w.FileName, Url = w.Url?.ToString(), w.Sha256, Format = w.Format.ToString(), w.SizeBytes, w.Origin }).ToArray(),
                }).ToArray(),
            });
            return TlApp.ExitOk;
        }

        var table = new Table().Border(TableBorder.Rounded).Title("Backbones");
        table.AddColumn(new TableColumn("Name").NoWrap());
        table.AddColumn(new TableColumn("Blocks").NoWrap());
        table.AddColumn(new TableColumn("Features").RightAligned());
        table.AddColumn(new TableColumn("Input").RightAligned());
        table.AddColumn("Preprocessing");
        table.AddColumn("Pretrained weights");
        foreach (var b in BackboneCatalog.All)
        {
            table.AddRow(
                new Text(b.Name),
                new Text($"{b.Blocks.Count}: {b.Blocks[0].Name}..{b.Blocks[^1].Name}"),
                new Text(b.FeatureChannels.ToString(CultureInfo.InvariantCulture)),
                new Text(b.DefaultInputSize.ToString(CultureInfo.InvariantCulture)),
                new Text(b.Preprocessing.Mode),
                new Text(b.Pretrained.Count == 0 ? "-" : string.Join("\n", b.Pretrained.Select(w => $"{w.Name} ({Format(w.Format)})"))));
        }

        environment.Console.Write(table);
        environment.Console.MarkupLine("[grey]--backbone NAME; --weights imagenet (resnet18_cntk: offline, from NuGet), random, or a file path. --json for details.[/]");
        return TlApp.ExitOk;
    }

    private static string Format(Weights.WeightsFormat format) => format switch
    {
        Weights.WeightsFormat.PyTorch => ".pth",
        Weights.WeightsFormat.SafeTensors => ".safetensors",
        Weights.WeightsFormat.KerasH5 => ".h5",
        Weights.WeightsFormat.Onnx => "ONNX, NuGet",
        _ => format.ToString(),
    };

    /// <summary>One-line description of a preprocessing: mode, channel order, scale, mean and std.</summary>
    internal static string Describe(ImagePreprocessing p)
    {
        static string List(IReadOnlyList<float> values) => string.Join("/", values.Select(v => v.ToString("0.###", CultureInfo.InvariantCulture)));
        var scale = Math.Abs(p.Scale - 1f / 255f) < 1e-9 ? "x/255" : Math.Abs(p.Scale - 1f) < 1e-9 ? "x" : $"x*{p.Scale.ToString("G4", CultureInfo.InvariantCulture)}";
        return $"{p.Mode}: {p.ChannelOrder}, ({scale} - {List(p.Mean)}) / {List(p.Std)}";
    }
}
