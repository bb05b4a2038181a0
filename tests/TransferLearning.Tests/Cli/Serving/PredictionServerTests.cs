using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using TransferLearning.Cli.Serving;
using TransferLearning.Persistence;
using TransferLearning.Prediction;

namespace TransferLearning.Tests.Cli.Serving;

/// <summary><c>tl serve</c>'s HTTP service, started in-process on 127.0.0.1 with a free port.</summary>
public sealed class PredictionServerTests : IClassFixture<ServeTestData>
{
    private readonly ServeTestData data;

    public PredictionServerTests(ServeTestData data) => this.data = data;

    /// <summary>A running server over the test model, with its predictor and a client.</summary>
    internal sealed class Running : IAsyncDisposable
    {
        private Running(PredictionServer server, Predictor predictor, HttpClient client)
        {
            Server = server;
            Predictor = predictor;
            Client = client;
        }

        public PredictionServer Server { get; }

        public Predictor Predictor { get; }

        public HttpClient Client { get; }

        public static async Task<Running> StartAsync(string modelPath, ServeOptions? options = null)
        {
            var loaded = TransferModelFile.LoadWithManifest(modelPath);
            var predictor = new Predictor(loaded.Model, new PredictorOptions { TopK = loaded.Model.ClassCount }, ownsModel: true);
            var server = PredictionServer.Create(predictor, loaded.Manifest, (options ?? new ServeOptions()) with { Host = "127.0.0.1", Port = 0 });
            await server.StartAsync();
            var client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(60) };
            return new Running(server, predictor, client);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Server.StopAsync();
            await Server.DisposeAsync();
            Predictor.Dispose();
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpContent content, string path = "predict")
    {
        using var response = await client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        return (response.StatusCode, json.RootElement.Clone());
    }

    private static ByteArrayContent Raw(byte[] bytes, string type = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    [Fact]
    public async Task Predict_GoodImage_ReturnsTopKOfThePredictor()
    {
        await using var running = await Running.StartAsync(data.Model);
        var expected = running.Predictor.Predict(data.GoodPng);

        var (status, body) = await SendAsync(running.Client, Raw(File.ReadAllBytes(data.GoodPng)), "predict?top=2");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(expected.ClassName, body.GetProperty("class").GetString());
        var top = body.GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(2, top.Length);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(expected.Top[i].ClassName, top[i].GetProperty("class").GetString());
            Assert.Equal(expected.Top[i].ClassIndex, top[i].GetProperty("index").GetInt32());
            Assert.Equal(expected.Top[i].Probability, top[i].GetProperty("probability").GetSingle(), 6);
        }
    }

    [Fact]
    public async Task Predict_MultipartJpeg_SameAsRawBody()
    {
        await using var running = await Running.StartAsync(data.Model);
        var bytes = File.ReadAllBytes(data.GoodJpeg);
        using var form = new MultipartFormDataContent { { Raw(bytes, "image/jpeg"), "file", "good.jpg" } };

        var (multipartStatus, multipart) = await SendAsync(running.Client, form);
        var (rawStatus, raw) = await SendAsync(running.Client, Raw(bytes, "image/jpeg"));

        Assert.Equal(HttpStatusCode.OK, multipartStatus);
        Assert.Equal(HttpStatusCode.OK, rawStatus);
        Assert.Equal(raw.GetProperty("top").GetRawText(), multipart.GetProperty("top").GetRawText());
        Assert.Equal(5, raw.GetProperty("top").GetArrayLength() + 2); // 3 classes: top-5 by default, capped at the class count
    }

    [Fact]
    public async Task Predict_RawBodyWithCurlsDefaultFormContentType_IsReadAsTheImage()
    {
        // `curl --data-binary @x.jpg URL` sends application/x-www-form-urlencoded: the body is still the image.
        await using var running = await Running.StartAsync(data.Model);
        var bytes = File.ReadAllBytes(data.GoodJpeg);

        var (curlStatus, curl) = await SendAsync(running.Client, Raw(bytes, "application/x-www-form-urlencoded"));
        var (rawStatus, raw) = await SendAsync(running.Client, Raw(bytes, "image/jpeg"));

        Assert.Equal(HttpStatusCode.OK, rawStatus);
        Assert.Equal(HttpStatusCode.OK, curlStatus);
        Assert.Equal(raw.GetProperty("top").GetRawText(), curl.GetProperty("top").GetRawText());
    }

    [Theory]
    [InlineData("not-an-image", "not_an_image")]
    [InlineData("truncated", "truncated")]
    [InlineData("huge-png", "too_many_pixels")]
    [InlineData("oversized", "too_large")]
    [InlineData("oversized-multipart", "too_large")]
    [InlineData("empty", "empty")]
    [InlineData("form-without-file", "no_image")]
    public async Task Predict_BadUpload_Returns400WithReason(string upload, string expectedError)
    {
        await using var running = await Running.StartAsync(data.Model, new ServeOptions { MaxUploadBytes = 256 * 1024 });
        HttpContent content = upload switch
        {
            "not-an-image" => Raw(File.ReadAllBytes(data.NotAnImage)),
            "truncated" => Raw(File.ReadAllBytes(data.Truncated)),
            "huge-png" => Raw(File.ReadAllBytes(data.HugePng)),
            "oversized" => Raw(new byte[450 * 1024]), // above the limit, within what the server drains so the client reads its answer
            "oversized-multipart" => new MultipartFormDataContent { { Raw(new byte[450 * 1024]), "file", "big.png" } },
            "empty" => Raw([]),
            _ => new MultipartFormDataContent { { new StringContent("x"), "comment" } },
        };

        var (status, body) = await SendAsync(running.Client, content);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(expectedError, body.GetProperty("error").GetString());
        var message = body.GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.DoesNotContain('\n', message!);
        content.Dispose();
    }

    [Fact]
    public async Task Predict_HugePng_RejectedFromItsHeaderWithoutDecoding()
    {
        await using var running = await Running.StartAsync(data.Model);
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var (status, body) = await SendAsync(running.Client, Raw(File.ReadAllBytes(data.HugePng)));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("30000x30000", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        // Decoding even a reduced copy would allocate far more than the 110 KB file.
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64L * 1024 * 1024);
    }

    [Fact]
    public async Task Predict_AllSlotsAndQueueTaken_Returns503()
    {
        await using var running = await Running.StartAsync(data.Model, new ServeOptions { MaxConcurrency = 1, QueueLength = 0 });
        using var stalled = new StalledContent();
        var first = running.Client.PostAsync("predict", stalled);
        await stalled.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // The first request holds the only slot while its upload stalls; the server may need a moment to see it.
        (HttpStatusCode Status, JsonElement Body) second = default;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            second = await SendAsync(running.Client, Raw(File.ReadAllBytes(data.GoodPng)));
            if (second.Status == HttpStatusCode.ServiceUnavailable)
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.Status);
        Assert.Equal("overloaded", second.Body.GetProperty("error").GetString());

        stalled.Release(File.ReadAllBytes(data.GoodPng));
        using var firstResponse = await first.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
    }

    [Fact]
    public async Task Predict_UploadSlowerThanTimeout_Returns503Timeout()
    {
        await using var running = await Running.StartAsync(data.Model, new ServeOptions { Timeout = TimeSpan.FromSeconds(1) });
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, running.Server.Address!.Port);
        var stream = tcp.GetStream();

        // Announce 1000 bytes, send 2, then stall (a slow or stuck client).
        await stream.WriteAsync("POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n\u0089P"u8.ToArray());
        using var reader = new StreamReader(stream);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var rest = await ReadToEndOrCloseAsync(reader);

        Assert.StartsWith("HTTP/1.1 503", statusLine, StringComparison.Ordinal);
        Assert.Contains("\"error\":\"timeout\"", rest, StringComparison.Ordinal);
    }

    private static async Task<string> ReadToEndOrCloseAsync(StreamReader reader)
    {
        var text = new System.Text.StringBuilder();
        var buffer = new char[4096];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer.AsMemory(), deadline.Token)) > 0)
            {
                text.Append(buffer, 0, read);
                if (text.ToString().Contains('}', StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The server closes the connection after the answer; what arrived is enough.
        }

        return text.ToString();
    }

    [Fact]
    public async Task ModelAndHealth_DescribeTheModel()
    {
        await using var running = await Running.StartAsync(data.Model);

        using var model = JsonDocument.Parse(await running.Client.GetStringAsync("model"));
        using var health = JsonDocument.Parse(await running.Client.GetStringAsync("health"));

        var root = model.RootElement;
        Assert.Equal(running.Predictor.ClassNames, root.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!).ToArray());
        Assert.Equal("resnet18", root.GetProperty("backbone").GetString());
        Assert.Equal(32, root.GetProperty("preprocessing").GetProperty("input_size").GetInt32());
        Assert.Equal(0.75, root.GetProperty("metrics").GetProperty("val_accuracy").GetDouble());
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Page_IsSelfContainedHtml()
    {
        await using var running = await Running.StartAsync(data.Model);

        using var response = await running.Client.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("id=\"file\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_HostNameThatIsNotAnAddress_Throws()
    {
        using var predictor = new Predictor(TransferModelFile.Load(data.Model), ownsModel: true);

        Assert.Throws<ArgumentException>(() => PredictionServer.Create(predictor, null, new ServeOptions { Host = "example.com" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => PredictionServer.Create(predictor, null, new ServeOptions { MaxConcurrency = 0 }));
    }

    /// <summary>Request content that sends a few bytes, then waits until <see cref="Release"/> gives the rest.</summary>
    private sealed class StalledContent : HttpContent
    {
        private readonly TaskCompletionSource<byte[]> rest = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public StalledContent() => Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release(byte[] image) => rest.TrySetResult(image);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(new byte[] { 0x89, (byte)'P' });
            await stream.FlushAsync();
            Started.TrySetResult();
            var image = await rest.Task.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null, TaskScheduler.Default);
            if (image is null)
            {
                throw new IOException("the test stopped sending.");
            }

            await stream.WriteAsync(image.AsMemory(2));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
