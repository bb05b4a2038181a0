using System.ComponentModel;
using System.Globalization;
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

    /// <summary>Images to classify.</summary>
    [CommandArgument(0, "<IMAGES>")]
    [Description("Image files to classify.")]
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

    /// <inheritdoc />
    public override ValidationResult Validate() =>
        Top < 1 ? ValidationResult.Error($"--top must be at least 1, got {Top}.") : ValidationResult.Success();
}

/// <summary><c>tl predict</c>: the top classes of each image, with probabilities.</summary>
public sealed class PredictCommand : Command<PredictSettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public PredictCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, PredictSettings settings, CancellationToken cancellationToken)
    {
        var human = environment.Human(settings.Json);
        var modelPath = CliArguments.ExistingFile(settings.Model, "--model");
        if (settings.Images.Length == 0)
        {
            throw new CliUsageException("give at least one image file to classify.");
        }

        var images = settings.Images.Select(i => CliArguments.ExistingFile(i, "image")).ToArray();
        using var predictor = Predictor.FromFile(modelPath, new PredictorOptions { TopK = settings.Top, FlipTestTimeAugmentation = settings.TestTimeAugmentation }, CliArguments.Device(settings.Device));
        var k = Math.Min(settings.Top, predictor.ClassNames.Count);

        var results = new List<(string Path, ImagePrediction? Prediction, string? Error)>();
        foreach (var image in images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                results.Add((image, predictor.Predict(image), null));
            }
            catch (Exception e) when (e is ImageDecodeException or InvalidDataException)
            {
                results.Add((image, null, e.Message));
            }
        }

        if (settings.Json)
        {
            Json.Write(environment, new
            {
                Command = "predict",
                Model = modelPath,
                ClassNames = predictor.ClassNames,
                Predictions = results.Select(r => new
                {
                    Image = r.Path,
                    Class = r.Prediction?.ClassName,
                    Probability = r.Prediction?.Confidence,
                    Top = r.Prediction?.Top.Take(k).Select(t => new { Class = t.ClassName, t.Probability }).ToArray(),
                    r.Error,
                }).ToArray(),
            });
        }
        else
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"Predictions ({Path.GetFileName(modelPath)})");
            table.AddColumn("Image");
            table.AddColumn("Class");
            table.AddColumn(new TableColumn("Probability").RightAligned());
            table.AddColumn($"Top {k}");
            foreach (var (path, prediction, error) in results)
            {
                if (prediction is null)
                {
                    table.AddRow(Markup.Escape(Path.GetFileName(path)), "[red]unreadable[/]", "", Markup.Escape(error ?? ""));
                    continue;
                }

                table.AddRow(
                    Markup.Escape(Path.GetFileName(path)),
                    $"[bold]{Markup.Escape(prediction.ClassName)}[/]",
                    prediction.Confidence.ToString("P1", CultureInfo.InvariantCulture),
                    Markup.Escape(string.Join(", ", prediction.Top.Take(k).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.ClassName} {t.Probability:P1}")))));
            }

            human.Write(table);
        }

        return results.Any(r => r.Prediction is null) ? TlApp.ExitFailure : TlApp.ExitOk;
    }
}
