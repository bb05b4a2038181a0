using Spectre.Console.Cli;
using TransferLearning.Cli.Commands;

namespace TransferLearning.Cli;

/// <summary>The <c>tl</c> command-line application: builds the command tree and runs it against a <see cref="CliEnvironment"/>.</summary>
public static class TlApp
{
    /// <summary>Exit code of a successful run.</summary>
    public const int ExitOk = 0;

    /// <summary>Exit code of a failure while running (unreadable data, a corrupted model file...).</summary>
    public const int ExitFailure = 1;

    /// <summary>Exit code of a bad command line (unknown option, missing folder, invalid value).</summary>
    public const int ExitUsage = 2;

    /// <summary>Exit code when the run was cancelled (Ctrl+C).</summary>
    public const int ExitCancelled = 130;

    /// <summary>Runs <c>tl</c> with the given arguments.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="environment">Where output goes.</param>
    /// <param name="cancellationToken">Cancels a running command (training stops within a batch).</param>
    /// <returns>The process exit code.</returns>
    public static int Run(IReadOnlyList<string> args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);

        var registrar = new TypeRegistrar();
        registrar.RegisterInstance(typeof(CliEnvironment), environment);
        var app = new CommandApp(registrar);
        app.Configure(config =>
        {
            config.SetApplicationName("tl");
            config.UseStrictParsing();
            config.ConfigureConsole(environment.Console);
            config.SetExceptionHandler((exception, _) => ReportError(environment, exception));
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train a classifier on an image folder: feature extraction, then fine-tuning of the top blocks.")
                .WithExample("train", "--data", "photos", "--backbone", "resnet18_cntk", "--weights", "imagenet", "--output", "model.tlm");
            config.AddCommand<EvaluateCommand>("evaluate")
                .WithDescription("Evaluate a saved model on a labelled image folder (one sub-folder per class).")
                .WithExample("evaluate", "--model", "model.tlm", "--data", "photos/test", "--json");
            config.AddCommand<PredictCommand>("predict")
                .WithDescription("Classify images with a saved model and print the top classes.")
                .WithExample("predict", "--model", "model.tlm", "cat.jpg", "dog.png", "--top", "3");
            config.AddCommand<LrFindCommand>("lr-find")
                .WithDescription("Sweep the learning rate exponentially and suggest one (fastai's LR finder), for the head or the top blocks.")
                .WithExample("lr-find", "--data", "photos", "--backbone", "resnet18_cntk", "--weights", "imagenet", "--plot", "lr.png");
            config.AddCommand<ExportOnnxCommand>("export-onnx")
                .WithDescription("Export a saved model to ONNX (dynamic batch dimension) for ONNX Runtime.")
                .WithExample("export-onnx", "--model", "model.tlm", "--output", "model.onnx");
            config.AddCommand<ReportCommand>("report")
                .WithDescription("Write a self-contained HTML report of a saved model on a labelled folder: metrics, confusion, top losses with thumbnails.")
                .WithExample("report", "--model", "model.tlm", "--data", "photos/test");
            config.AddCommand<CleanCommand>("clean")
                .WithDescription("Find likely label errors, near-duplicates and train/validation leaks from the frozen base's features; HTML, CSV, JSON.")
                .WithExample("clean", "--data", "photos", "--output", "clean-report", "--move-to", "review");
            config.AddCommand<BackbonesCommand>("backbones")
                .WithDescription("List the backbone catalogue: blocks, feature size, input size, preprocessing, weights.");
        });

        try
        {
            return app.Run(args, cancellationToken);
        }
        catch (Exception exception)
        {
            // Spectre hands errors to the handler above; this is the last line of defence (never a stack trace).
            return ReportError(environment, exception);
        }
    }

    /// <summary>Writes one line for an error and maps it to an exit code.</summary>
    internal static int ReportError(CliEnvironment environment, Exception exception)
    {
        var root = exception is System.Reflection.TargetInvocationException { InnerException: { } inner } ? inner : exception;
        var code = root switch
        {
            OperationCanceledException => ExitCancelled,
            CliUsageException or CommandParseException or CommandRuntimeException or CommandConfigurationException => ExitUsage,
            ArgumentException => ExitUsage,
            _ => ExitFailure,
        };
        var message = root is OperationCanceledException ? "cancelled." : OneLine(root.Message);
        environment.StdErr.WriteLine($"tl: error: {message}");
        environment.StdErr.Flush();
        return code;
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
