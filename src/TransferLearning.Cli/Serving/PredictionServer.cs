using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TransferLearning.Cli.Output;
using TransferLearning.Data;
using TransferLearning.Persistence;
using TransferLearning.Prediction;

namespace TransferLearning.Cli.Serving;

/// <summary>
/// The HTTP service of <c>tl serve</c> (ASP.NET Core minimal API over Kestrel): <c>POST /predict</c> (an image as the raw
/// request body or as a multipart file part; answers the top-k classes as JSON), <c>GET /model</c> (classes, backbone,
/// preprocessing, metrics, limits), <c>GET /health</c>, and a self-contained page at <c>/</c> where a user drops an image.
/// </summary>
/// <remarks>
/// The server keeps no state between requests (no sessions, no uploads kept), so several replicas can run behind any
/// load balancer. Every upload is bounded (<see cref="ServeOptions.MaxUploadBytes"/>, <see cref="ServeOptions.MaxPixels"/>
/// checked from the image header before decoding); <c>/predict</c> runs at most <see cref="ServeOptions.MaxConcurrency"/>
/// requests at once with <see cref="ServeOptions.QueueLength"/> more waiting, and answers 503 beyond that or after
/// <see cref="ServeOptions.Timeout"/>; a bad upload gets 400 with a machine-readable <c>error</c> and a one-line
/// <c>message</c>. Images are decoded by <see cref="ImageDecoder"/> and classified by <see cref="Predictor"/>, the code
/// <c>tl predict</c> uses.
/// </remarks>
public sealed class PredictionServer : IAsyncDisposable
{
    private const string PredictPolicy = "predict";
    private static readonly JsonSerializerOptions JsonOptions = new(Json.Options) { WriteIndented = false };

    private readonly WebApplication app;
    private readonly Predictor predictor;
    private readonly ModelManifest? manifest;
    private readonly ServeOptions options;
    private readonly ImageDecodeOptions decodeOptions;
    private readonly byte[] page;

    private PredictionServer(Predictor predictor, ModelManifest? manifest, ServeOptions options)
    {
        this.predictor = predictor;
        this.manifest = manifest;
        this.options = options;
        decodeOptions = new ImageDecodeOptions { MaxPixels = options.MaxPixels };
        page = LoadPage();
        app = Build();
    }

    /// <summary>The address the server listens on (known after <see cref="StartAsync"/>; with port 0 it names the port picked).</summary>
    public Uri? Address { get; private set; }

    /// <summary>Creates a server (not yet listening) over a predictor.</summary>
    /// <param name="predictor">The predictor; the caller keeps ownership and disposes it after the server.</param>
    /// <param name="manifest">The model file's manifest, for <c>/model</c> (metrics, description); <see langword="null"/> when there is none.</param>
    /// <param name="options">Address and limits.</param>
    /// <returns>The server.</returns>
    /// <exception cref="ArgumentException">An option is out of range or the host is not an IP address or <c>localhost</c>.</exception>
    public static PredictionServer Create(Predictor predictor, ModelManifest? manifest, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!IsLocalhost(options.Host) && !IPAddress.TryParse(options.Host, out _))
        {
            throw new ArgumentException($"--host: '{options.Host}' is not an IP address or 'localhost'.", nameof(options));
        }

        return new PredictionServer(predictor, manifest, options);
    }

    /// <summary>Starts listening.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="IOException">The address cannot be bound (for example the port is in use).</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? $"http://{options.Host}:{options.Port}";
        Address = new Uri(first.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>Signalled when the host begins to stop (SIGTERM from <c>docker stop</c> or Kubernetes, or <see cref="StopAsync"/>).</summary>
    public CancellationToken Stopping => app.Lifetime.ApplicationStopping;

    /// <summary>Stops accepting requests and lets the running ones finish (up to a few seconds).</summary>
    /// <param name="cancellationToken">Ends the graceful wait early.</param>
    public Task StopAsync(CancellationToken cancellationToken = default) => app.StopAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => app.DisposeAsync();

    private static bool IsLocalhost(string host) => host.Equals("localhost", StringComparison.OrdinalIgnoreCase);

    private static byte[] LoadPage()
    {
        using var stream = typeof(PredictionServer).Assembly.GetManifestResourceStream("TransferLearning.Cli.Serving.index.html")
            ?? throw new InvalidOperationException("The serve page resource is missing from the tl assembly.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private WebApplication Build()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(PredictionServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            if (IsLocalhost(options.Host))
            {
                kestrel.ListenLocalhost(options.Port);
            }
            else
            {
                kestrel.Listen(IPAddress.Parse(options.Host), options.Port);
            }

            // Bodies up to DrainLimit are read (and an oversized one discarded) so that the client gets its 400 answer
            // instead of a connection reset; the image itself is checked exactly against MaxUploadBytes.
            kestrel.Limits.MaxRequestBodySize = DrainLimit;
            kestrel.Limits.RequestHeadersTimeout = Min(options.Timeout, TimeSpan.FromSeconds(30));
        });
        builder.Services.Configure<FormOptions>(form =>
        {
            form.MultipartBodyLengthLimit = DrainLimit;
            form.ValueCountLimit = 64;
        });
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            limiter.OnRejected = (context, token) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                return new ValueTask(WriteErrorAsync(
                    context.HttpContext,
                    StatusCodes.Status503ServiceUnavailable,
                    "overloaded",
                    string.Create(CultureInfo.InvariantCulture, $"the server is busy ({options.MaxConcurrency} running, {options.QueueLength} waiting); retry later."),
                    token));
            };
            limiter.AddConcurrencyLimiter(PredictPolicy, c =>
            {
                c.PermitLimit = options.MaxConcurrency;
                c.QueueLimit = options.QueueLength;
                c.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
        });
        builder.Services.AddRequestTimeouts(timeouts => timeouts.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = options.Timeout,
            TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
            WriteTimeoutResponse = context => WriteErrorAsync(
                context,
                StatusCodes.Status503ServiceUnavailable,
                "timeout",
                string.Create(CultureInfo.InvariantCulture, $"the request took longer than {options.Timeout.TotalSeconds:0.###} s (--timeout); retry later."),
                CancellationToken.None),
        });

        var web = builder.Build();
        web.Use(CatchAllAsync);
        web.UseRouting();
        web.UseRequestTimeouts();
        web.UseRateLimiter();
        web.MapGet("/", ServePageAsync);
        web.MapGet("/health", context => WriteJsonAsync(context, StatusCodes.Status200OK, new { Status = "ok", Classes = predictor.ClassNames.Count }));
        web.MapGet("/model", context => WriteJsonAsync(context, StatusCodes.Status200OK, Describe()));
        web.MapPost("/predict", PredictAsync).RequireRateLimiting(PredictPolicy);
        return web;
    }

    private const long EnvelopeBytes = 64 * 1024;

    /// <summary>Largest body read at all: twice the upload limit plus room for a multipart envelope; beyond it the connection is cut.</summary>
    private long DrainLimit => (2 * options.MaxUploadBytes) + EnvelopeBytes;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static async Task CatchAllAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "internal", OneLine(e.Message), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private Task ServePageAsync(HttpContext context)
    {
        var response = context.Response;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' blob: data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'";
        response.ContentLength = page.Length;
        return response.Body.WriteAsync(page, context.RequestAborted).AsTask();
    }

    private object Describe()
    {
        var model = predictor.Model;
        var p = model.Preprocessing;
        return new
        {
            Classes = predictor.ClassNames,
            Backbone = model.Backbone.Name,
            TruncateAfter = model.Spec.TruncateAfter,
            InputSize = model.InputSize,
            Weights = model.Spec.WeightsDescription,
            Preprocessing = new
            {
                p.Mode,
                ResizeMode = p.ResizeMode.ToString(),
                p.ResizeSize,
                p.InputSize,
                ChannelOrder = p.ChannelOrder.ToString(),
                p.Scale,
                p.Mean,
                p.Std,
            },
            Metrics = manifest?.Metadata.Metrics ?? new Dictionary<string, double>(),
            Description = manifest?.Metadata.Description,
            CreatedUtc = manifest?.CreatedUtc,
            LibraryVersion = manifest?.LibraryVersion,
            Parameters = model.ParameterCount,
            TopK = options.TopK,
            FlipTestTimeAugmentation = predictor.Options.FlipTestTimeAugmentation,
            Limits = new
            {
                options.MaxUploadBytes,
                options.MaxPixels,
                TimeoutSeconds = options.Timeout.TotalSeconds,
                options.MaxConcurrency,
                options.QueueLength,
            },
        };
    }

    private async Task PredictAsync(HttpContext context)
    {
        var token = context.RequestAborted;
        var started = Stopwatch.GetTimestamp();
        var k = options.TopK;
        if (context.Request.Query.TryGetValue("top", out var topValue))
        {
            if (!int.TryParse(topValue, NumberStyles.None, CultureInfo.InvariantCulture, out k) || k < 1)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "bad_top", $"?top= must be a positive whole number, got '{topValue}'.", token).ConfigureAwait(false);
                return;
            }
        }

        var (data, error) = await ReadUploadAsync(context.Request, token).ConfigureAwait(false);
        if (data is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, error!.Value.Code, error.Value.Message, token).ConfigureAwait(false);
            return;
        }

        token.ThrowIfCancellationRequested();
        ImagePrediction prediction;
        int width, height;
        try
        {
            using var bitmap = ImageDecoder.Decode(data, decodeOptions);
            (width, height) = (bitmap.Width, bitmap.Height);
            token.ThrowIfCancellationRequested();
            prediction = predictor.Predict(bitmap);
        }
        catch (ImageDecodeException e)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, ErrorCode(e.Reason), OneLine(e.Message), token).ConfigureAwait(false);
            return;
        }

        var top = prediction.Top.Take(k).Select(t => new { Class = t.ClassName, Index = t.ClassIndex, t.Probability }).ToArray();
        await WriteJsonAsync(context, StatusCodes.Status200OK, new
        {
            Class = prediction.ClassName,
            Probability = prediction.Confidence,
            Top = top,
            DecodedWidth = width,
            DecodedHeight = height,
            ElapsedMs = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1),
        }).ConfigureAwait(false);
    }

    /// <summary>Reads the image bytes of a request: the raw body, or the <c>file</c> part (else the first file part) of a multipart form.</summary>
    private async Task<(byte[]? Data, (string Code, string Message)? Error)> ReadUploadAsync(HttpRequest request, CancellationToken token)
    {
        var limit = options.MaxUploadBytes;
        string TooLarge(long? size) => size is { } s
            ? string.Create(CultureInfo.InvariantCulture, $"the upload is {s:N0} bytes; the limit is {limit:N0} bytes (--max-upload-mb).")
            : string.Create(CultureInfo.InvariantCulture, $"the upload is larger than the limit of {limit:N0} bytes (--max-upload-mb).");
        try
        {
            if (request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
            {
                var form = await request.ReadFormAsync(token).ConfigureAwait(false);
                var file = form.Files.GetFile("file") ?? form.Files.FirstOrDefault();
                if (file is null)
                {
                    return (null, ("no_image", "the multipart form has no file part; send the image as a part named 'file'."));
                }

                if (file.Length > limit)
                {
                    return (null, ("too_large", TooLarge(file.Length)));
                }

                if (file.Length == 0)
                {
                    return (null, ("empty", "the uploaded file is empty (0 bytes)."));
                }

                await using var stream = file.OpenReadStream();
                return (await ReadBoundedAsync(stream, limit, token).ConfigureAwait(false), null);
            }

            if (request.ContentLength is { } declared && declared > limit)
            {
                await DrainAsync(request.Body, token).ConfigureAwait(false);
                return (null, ("too_large", TooLarge(declared)));
            }

            var body = await ReadBoundedAsync(request.Body, limit, token).ConfigureAwait(false);
            if (body is null)
            {
                await DrainAsync(request.Body, token).ConfigureAwait(false);
                return (null, ("too_large", TooLarge(null)));
            }

            return body.Length == 0
                ? (null, ("empty", "the request body is empty; send the image bytes as the body, or as a multipart part named 'file'."))
                : (body, null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, ("too_large", TooLarge(request.ContentLength)));
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ("too_large", TooLarge(request.ContentLength)));
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException && !token.IsCancellationRequested)
        {
            return (null, ("bad_request", $"the request body could not be read: {OneLine(e.Message)}"));
        }
    }

    /// <summary>Reads and discards the rest of a body (bounded by Kestrel's <c>MaxRequestBodySize</c>), so the answer reaches the client.</summary>
    private static async Task DrainAsync(Stream body, CancellationToken token)
    {
        var buffer = new byte[81920];
        while (await body.ReadAsync(buffer, token).ConfigureAwait(false) > 0)
        {
        }
    }

    /// <summary>Reads a stream to its end, or returns <see langword="null"/> as soon as it exceeds <paramref name="limit"/> bytes.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream stream, long limit, CancellationToken token)
    {
        using var memory = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
        {
            if (memory.Length + read > limit)
            {
                return null;
            }

            memory.Write(buffer, 0, read);
        }

        return memory.ToArray();
    }

    private static string ErrorCode(BadFileReason reason) => reason switch
    {
        BadFileReason.Empty => "empty",
        BadFileReason.Truncated => "truncated",
        BadFileReason.Corrupt => "corrupt",
        BadFileReason.NotAnImage => "not_an_image",
        BadFileReason.Unsupported => "unsupported_format",
        BadFileReason.TooLarge => "too_many_pixels",
        _ => "unreadable",
    };

    private static Task WriteErrorAsync(HttpContext context, int status, string code, string message, CancellationToken token) =>
        WriteJsonAsync(context, status, new { Error = code, Message = message }, token);

    private static async Task WriteJsonAsync(HttpContext context, int status, object value, CancellationToken token = default)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(value, value.GetType(), JsonOptions, "application/json; charset=utf-8", token).ConfigureAwait(false);
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
