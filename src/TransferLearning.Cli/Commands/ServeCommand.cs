using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Cli.Serving;
using TransferLearning.Persistence;
using TransferLearning.Prediction;

namespace TransferLearning.Cli.Commands;

/// <summary>Options of <c>tl serve</c>.</summary>
public sealed class ServeSettings : CommandSettings
{
    /// <summary>Model file.</summary>
    [CommandOption("--model <MODEL>")]
    [Description("Model file (.tlm).")]
    public string? Model { get; init; }

    /// <summary>Address to listen on.</summary>
    [CommandOption("--host <ADDRESS>")]
    [Description("Address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (all IPv4 interfaces), ::, localhost or an interface address.")]
    [DefaultValue("127.0.0.1")]
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port.</summary>
    [CommandOption("--port <PORT>")]
    [Description("TCP port (0 picks a free one).")]
    [DefaultValue(5080)]
    public int Port { get; init; } = 5080;

    /// <summary>Requests processed at once.</summary>
    [CommandOption("--max-concurrency <N>")]
    [Description("Requests to /predict processed at once (decoding runs in parallel; forward passes one at a time).")]
    [DefaultValue(4)]
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Requests that may wait.</summary>
    [CommandOption("--queue <N>")]
    [Description("Requests to /predict that may wait for a slot; beyond that the server answers 503.")]
    [DefaultValue(32)]
    public int Queue { get; init; } = 32;

    /// <summary>Per-request time limit in seconds.</summary>
    [CommandOption("--timeout <SECONDS>")]
    [Description("Longest time a request may take, queueing and upload included; then 503.")]
    [DefaultValue(30.0)]
    public double Timeout { get; init; } = 30;

    /// <summary>Largest upload in MiB.</summary>
    [CommandOption("--max-upload-mb <MB>")]
    [Description("Largest accepted upload, in MiB; larger ones get 400.")]
    [DefaultValue(20.0)]
    public double MaxUploadMb { get; init; } = 20;

    /// <summary>Largest image in megapixels.</summary>
    [CommandOption("--max-megapixels <MP>")]
    [Description("Largest accepted image (width x height from its header, in millions of pixels); larger ones get 400 before decoding.")]
    [DefaultValue(40.0)]
    public double MaxMegapixels { get; init; } = 40;

    /// <summary>Default number of classes per answer.</summary>
    [CommandOption("--top <K>")]
    [Description("Classes listed per prediction unless the request asks ?top=K.")]
    [DefaultValue(5)]
    public int Top { get; init; } = 5;

    /// <summary>Average with the horizontally flipped image.</summary>
    [CommandOption("--tta")]
    [Description("Test-time augmentation: average each prediction with that of the mirrored image.")]
    public bool TestTimeAugmentation { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        string? error =
            Port is < 0 or > 65535 ? $"--port must be 0..65535, got {Port}."
            : MaxConcurrency < 1 ? $"--max-concurrency must be at least 1, got {MaxConcurrency}."
            : Queue < 0 ? $"--queue must be 0 or more, got {Queue}."
            : !(Timeout > 0) || Timeout > 86400 ? string.Create(CultureInfo.InvariantCulture, $"--timeout must be a number of seconds above 0 (at most 86400), got {Timeout}.")
            : !(MaxUploadMb > 0) || MaxUploadMb > 2048 ? string.Create(CultureInfo.InvariantCulture, $"--max-upload-mb must be above 0 (at most 2048), got {MaxUploadMb}.")
            : !(MaxMegapixels > 0) || MaxMegapixels > 1000 ? string.Create(CultureInfo.InvariantCulture, $"--max-megapixels must be above 0 (at most 1000), got {MaxMegapixels}.")
            : Top < 1 ? $"--top must be at least 1, got {Top}."
            : null;
        return error is null ? ValidationResult.Success() : ValidationResult.Error(error);
    }

    /// <summary>The server options these settings describe.</summary>
    internal ServeOptions ToOptions() => new()
    {
        Host = Host,
        Port = Port,
        MaxConcurrency = MaxConcurrency,
        QueueLength = Queue,
        Timeout = TimeSpan.FromSeconds(Timeout),
        MaxUploadBytes = Math.Max(1, (long)(MaxUploadMb * 1024 * 1024)),
        MaxPixels = Math.Max(1, (long)(MaxMegapixels * 1_000_000)),
        TopK = Top,
    };
}

/// <summary><c>tl serve</c>: a saved model behind an HTTP endpoint (see <see cref="PredictionServer"/>) until Ctrl+C.</summary>
public sealed class ServeCommand : Command<ServeSettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public ServeCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, ServeSettings settings, CancellationToken cancellationToken) =>
        ExecuteAsync(settings, cancellationToken).GetAwaiter().GetResult();

    private async Task<int> ExecuteAsync(ServeSettings settings, CancellationToken cancellationToken)
    {
        var modelPath = CliArguments.ExistingFile(settings.Model, "--model");
        var options = settings.ToOptions();
        var loaded = TransferModelFile.LoadWithManifest(modelPath);
        using var predictor = new Predictor(
            loaded.Model,
            new PredictorOptions { TopK = loaded.Model.ClassCount, FlipTestTimeAugmentation = settings.TestTimeAugmentation },
            ownsModel: true);
        PredictionServer server;
        try
        {
            server = PredictionServer.Create(predictor, loaded.Manifest, options);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException(e.Message, e);
        }

        await using (server.ConfigureAwait(false))
        {
            try
            {
                await server.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new CliUsageException($"--host/--port: cannot listen on {options.Host}:{options.Port}: {e.Message}", e);
            }

            var console = environment.Console;
            console.MarkupLine(string.Create(
                CultureInfo.InvariantCulture,
                $"Serving [bold]{Markup.Escape(Path.GetFileName(modelPath))}[/] ({Markup.Escape(loaded.Model.Backbone.Name)}, {loaded.Model.ClassCount} classes) on [bold]{Markup.Escape(server.Address!.ToString())}[/]"));
            console.MarkupLine("  POST /predict (image body or multipart 'file'), GET /model, GET /health, page at /. Ctrl+C stops.");
            environment.StdOut.Flush();
            try
            {
                // Ctrl+C / SIGTERM through the CLI's token, or the host's own stop (SIGTERM caught by ASP.NET Core).
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, server.Stopping);
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: stop cleanly below.
            }

            await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
            console.MarkupLine("Stopped.");
        }

        return TlApp.ExitOk;
    }
}
