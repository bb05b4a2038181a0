using System.Net;
using System.Text.Json;
using TransferLearning.Cli;

namespace TransferLearning.Tests.Cli.Serving;

/// <summary><c>tl serve</c> as a command: it serves until cancelled, and bad options are one-line usage errors.</summary>
public sealed class ServeCommandTests : IClassFixture<ServeTestData>
{
    private readonly ServeTestData data;

    public ServeCommandTests(ServeTestData data) => this.data = data;

    [Fact]
    public async Task Serve_Running_AnswersPredictAndStopsOnCancel()
    {
        var port = ServeTestData.FreeLoopbackPort();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var cancel = new CancellationTokenSource();
        var run = Task.Run(() => TlApp.Run(["serve", "--model", data.Model, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], new CliEnvironment(stdout, stderr), cancel.Token));
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        HttpResponseMessage? health = null;
        for (var i = 0; i < 200 && health is null && !run.IsCompleted; i++)
        {
            try
            {
                health = await client.GetAsync("health");
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }

        Assert.NotNull(health);
        Assert.Equal(HttpStatusCode.OK, health!.StatusCode);
        health.Dispose();
        using var content = new ByteArrayContent(File.ReadAllBytes(data.GoodPng));
        using var predict = await client.PostAsync("predict", content);
        Assert.Equal(HttpStatusCode.OK, predict.StatusCode);
        using var json = JsonDocument.Parse(await predict.Content.ReadAsStringAsync());
        Assert.Equal(3, json.RootElement.GetProperty("top").GetArrayLength());

        // The same answer as tl predict on the same file.
        var predicted = CliRunner.Run("predict", "--model", data.Model, data.GoodPng, "--top", "3", "--json");
        Assert.Equal(0, predicted.ExitCode);
        using var predictJson = JsonDocument.Parse(predicted.StdOut);
        var cliTop = predictJson.RootElement.GetProperty("predictions")[0].GetProperty("top").EnumerateArray().ToArray();
        var serveTop = json.RootElement.GetProperty("top").EnumerateArray().ToArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(cliTop[i].GetProperty("class").GetString(), serveTop[i].GetProperty("class").GetString());
            Assert.Equal(cliTop[i].GetProperty("probability").GetSingle(), serveTop[i].GetProperty("probability").GetSingle(), 6);
        }

        cancel.Cancel();
        var code = await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TlApp.ExitOk, code);
        Assert.Contains($"http://127.0.0.1:{port}", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal("", stderr.ToString());
    }

    [Theory]
    [InlineData("--port", "70000", "--port")]
    [InlineData("--max-concurrency", "0", "--max-concurrency")]
    [InlineData("--timeout", "0", "--timeout")]
    [InlineData("--max-upload-mb", "-1", "--max-upload-mb")]
    [InlineData("--host", "example.com", "--host")]
    public void Serve_BadOption_IsOneLineUsageError(string option, string value, string named)
    {
        var result = CliRunner.Run("serve", "--model", data.Model, "--port", "0", option, value);

        Assert.Equal(TlApp.ExitUsage, result.ExitCode);
        Assert.StartsWith("tl: error:", result.StdErr, StringComparison.Ordinal);
        Assert.Contains(named, result.StdErr, StringComparison.Ordinal);
        Assert.Single(result.StdErr.Trim().Split('\n'));
    }

    [Fact]
    public void Serve_MissingModel_IsUsageError()
    {
        var result = CliRunner.Run("serve", "--model", Path.Combine(data.Root, "nope.tlm"));

        Assert.Equal(TlApp.ExitUsage, result.ExitCode);
        Assert.Contains("nope.tlm", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_PortInUse_IsOneLineError()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var result = CliRunner.Run("serve", "--model", data.Model, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(TlApp.ExitUsage, result.ExitCode);
        Assert.StartsWith("tl: error: --host/--port: cannot listen on 127.0.0.1:", result.StdErr, StringComparison.Ordinal);
        Assert.Single(result.StdErr.Trim().Split('\n'));
    }
}
