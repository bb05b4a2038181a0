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

    /// <summary>Exit code when the run was cancelled (Ctrl+C, SIGINT: 128 + 2).</summary>
    public const int ExitCancelled = 130;

    /// <summary>Exit code when the run was stopped by SIGTERM (128 + 15), handled like Ctrl+C.</summary>
    public const int ExitTerminated = 143;

    /// <summary>The settings class of each command, for the checks made before Spectre parses the line.</summary>
    private static readonly Dictionary<string, Type> SettingsTypes = new(StringComparer.Ordinal)
    {
        ["train"] = typeof(TrainCommandSettings),
        ["evaluate"] = typeof(EvaluateSettings),
        ["predict"] = typeof(PredictSettings),
        ["lr-find"] = typeof(LrFindSettings),
        ["export-onnx"] = typeof(ExportOnnxSettings),
        ["backbones"] = typeof(JsonSettings),
    };

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
            config.AddCommand<ServeCommand>("serve")
                .WithDescription("Serve a saved model over HTTP: POST /predict, GET /model, GET /health and a drop-an-image page at /.")
                .WithExample("serve", "--model", "model.tlm", "--port", "5080");
            config.AddCommand<LrFindCommand>("lr-find")
                .WithDescription("Sweep the learning rate exponentially and suggest one (fastai's LR finder), for the head or the top blocks.")
                .WithExample("lr-find", "--data", "photos", "--backbone", "resnet18_cntk", "--weights", "imagenet", "--plot", "lr.png");
            config.AddCommand<ExportOnnxCommand>("export-onnx")
                .WithDescription("Export a saved model to ONNX (dynamic batch dimension) for ONNX Runtime.")
                .WithExample("export-onnx", "--model", "model.tlm", "--output", "model.onnx");
            config.AddCommand<SummaryCommand>("summary")
                .WithDescription("Print a model summary (Keras' model.summary()): blocks, output shapes, parameters, trainable or frozen, BatchNorm mode, head, totals.")
                .WithExample("summary", "--backbone", "resnet18")
                .WithExample("summary", "--model", "model.tlm");
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
            if (args.Count > 0 && SettingsTypes.TryGetValue(args[0], out var settingsType))
            {
                OptionValueCheck.Check(args.Skip(1).ToArray(), settingsType, args[0]);
            }

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
        var message = root switch
        {
            OperationCanceledException => "cancelled.",
            OutOfMemoryException or InsufficientExecutionStackException => $"out of memory ({NativeErrors.OneLine(root.Message)}); try a smaller --batch-size or --image-size.",
            _ => NativeErrors.OneLine(root.Message),
        };
        environment.StdErr.WriteLine($"tl: error: {message}");
        environment.StdErr.Flush();
        return code;
    }
}
