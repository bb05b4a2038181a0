using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using SkiaSharp;
using TransferLearning.Persistence;
using TransferLearning.Weights;

namespace TransferLearning.Benchmarks;

/// <summary>
/// Bounded load test of <c>tl serve</c> on loopback: starts the built <c>tl</c> as a child process on 127.0.0.1 with a
/// ResNet18 model (random weights, 224 px, 5 classes, or <c>SERVE_MODEL</c>), then sends a fixed number of requests from a
/// few concurrent clients in a few rounds and stops. Most requests are good JPEG photos-sized images (must all be 200);
/// every tenth is a bad upload (non-image, truncated, oversized, 30000x30000 PNG; each must be 400). Reports
/// throughput, p50/p95/p99 latency of the good requests, the status counts, and the server's resident memory (VmRSS)
/// after the warm-up and after each round.
/// </summary>
/// <remarks>
/// Environment: <c>TL_EXE</c> (default: <c>src/TransferLearning.Cli/bin/Release/net10.0/linux-x64/tl</c> of this
/// repository, build it first), <c>SERVE_MODEL</c>, <c>SERVE_REQUESTS</c> (per round, default 200),
/// <c>SERVE_CLIENTS</c> (default 4), <c>SERVE_ROUNDS</c> (default 3).
/// </remarks>
internal sealed class ServeLoadSuite : IBenchmarkSuite
{
    public string Name => "serve";

    public string Description => "tl serve on 127.0.0.1: fixed requests from few clients, latency percentiles, 400s for bad uploads, RSS";

    public void Run(BenchmarkReport report, CancellationToken cancellationToken) => RunAsync(report, cancellationToken).GetAwaiter().GetResult();

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;

    private static async Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        var perRound = EnvInt("SERVE_REQUESTS", 200);
        var clients = EnvInt("SERVE_CLIENTS", 4);
        var rounds = EnvInt("SERVE_ROUNDS", 3);
        var tl = Environment.GetEnvironmentVariable("TL_EXE") ?? FindTl();
        var work = Directory.CreateTempSubdirectory("tl-serve-load-").FullName;
        try
        {
            var model = Environment.GetEnvironmentVariable("SERVE_MODEL");
            if (string.IsNullOrEmpty(model))
            {
                model = Path.Combine(work, "resnet18.tlm");
                using var built = new TransferModelBuilder().WithBackbone("resnet18").WithWeights(RandomWeights.Instance).WithClassCount(5).WithSeed(1).Build();
                TransferModelFile.Save(built, model);
            }

            var good = Enumerable.Range(0, 16).Select(i => Photo(640, 480, i)).ToArray();
            var bad = BadUploads(good[0]);
            var port = FreePort();
            using var server = Process.Start(new ProcessStartInfo(tl, ["serve", "--model", model, "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--max-concurrency", "4", "--queue", "64"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }) ?? throw new InvalidOperationException($"cannot start {tl}");
            server.OutputDataReceived += (_, _) => { };
            server.ErrorDataReceived += (_, _) => { };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(120) };
                await WaitHealthyAsync(client, server, cancellationToken);
                for (var i = 0; i < 8; i++)
                {
                    await SendAsync(client, good[i % good.Length], cancellationToken);
                }

                var rss = new List<(string When, long Kb)> { ("after warm-up (8 requests)", RssKb(server.Id)) };
                report.Add(string.Create(CultureInfo.InvariantCulture, $"Server: {Path.GetFileName(tl)} serve, {Path.GetFileName(model)}, --max-concurrency 4 --queue 64; {clients} clients, {perRound} requests per round, {rounds} rounds; 640x480 JPEG uploads; every 10th request a bad upload."));
                report.Add("| round | good requests | failed good | throughput req/s | p50 ms | p95 ms | p99 ms | bad uploads -> 400 |");
                report.Add("|---|---|---|---|---|---|---|---|");
                for (var round = 1; round <= rounds; round++)
                {
                    var result = await RoundAsync(client, good, bad, perRound, clients, cancellationToken);
                    rss.Add(($"after round {round}", RssKb(server.Id)));
                    var lat = result.GoodLatencies.Order().ToArray();
                    report.Add(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {round} | {lat.Length} | {result.FailedGood} | {result.GoodLatencies.Count / result.Seconds:F1} | {Percentile(lat, 0.50):F0} | {Percentile(lat, 0.95):F0} | {Percentile(lat, 0.99):F0} | {string.Join(", ", result.Bad.OrderBy(b => b.Key).Select(b => $"{b.Key}: {b.Value.Count(s => s == 400)}/{b.Value.Count}"))} |"));
                }

                report.Add(string.Join("; ", rss.Select(r => string.Create(CultureInfo.InvariantCulture, $"RSS {r.When}: {r.Kb / 1024.0:F0} MiB"))));
            }
            finally
            {
                if (!server.HasExited)
                {
                    server.Kill();
                    await server.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private sealed record RoundResult(List<double> GoodLatencies, int FailedGood, Dictionary<string, List<int>> Bad, double Seconds);

    private static async Task<RoundResult> RoundAsync(HttpClient client, byte[][] good, (string Name, byte[] Bytes)[] bad, int requests, int clients, CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        var failed = 0;
        var badStatuses = bad.ToDictionary(b => b.Name, _ => new List<int>());
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                if (i % 10 == 9)
                {
                    var (name, bytes) = bad[(i / 10) % bad.Length];
                    var (status, _) = await SendAsync(client, bytes, cancellationToken);
                    lock (badStatuses)
                    {
                        badStatuses[name].Add(status);
                    }

                    continue;
                }

                var (code, ms) = await SendAsync(client, good[i % good.Length], cancellationToken);
                lock (latencies)
                {
                    if (code == 200)
                    {
                        latencies.Add(ms);
                    }
                    else
                    {
                        failed++;
                    }
                }
            }
        }));
        return new RoundResult(latencies, failed, badStatuses, clock.Elapsed.TotalSeconds);
    }

    private static async Task<(int Status, double Ms)> SendAsync(HttpClient client, byte[] body, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var response = await client.PostAsync("predict", content, cancellationToken);
            await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return ((int)response.StatusCode, clock.Elapsed.TotalMilliseconds);
        }
        catch (HttpRequestException)
        {
            return (0, clock.Elapsed.TotalMilliseconds);
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static async Task WaitHealthyAsync(HttpClient client, Process server, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"tl serve exited with code {server.ExitCode}.");
            }

            try
            {
                using var response = await client.GetAsync("health", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException("tl serve did not answer /health within 2 minutes.");
    }

    private static long RssKb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindTl()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TransferLearning.sln")))
            {
                var tl = Path.Combine(dir.FullName, "src", "TransferLearning.Cli", "bin", "Release", "net10.0", "linux-x64", "tl");
                return File.Exists(tl) ? tl : throw new FileNotFoundException($"Build tl first (dotnet build src/TransferLearning.Cli -c Release) or set TL_EXE; '{tl}' is missing.");
            }
        }

        throw new FileNotFoundException("Set TL_EXE to the tl executable.");
    }

    /// <summary>A photo-sized JPEG: gradient background, a few shapes.</summary>
    private static byte[] Photo(int width, int height, int seed)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            using var background = new SKPaint
            {
                Shader = SKShader.CreateLinearGradient(
                    new SKPoint(0, 0),
                    new SKPoint(width, height),
                    [new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256))],
                    SKShaderTileMode.Clamp),
            };
            canvas.DrawRect(0, 0, width, height, background);
            using var paint = new SKPaint { IsAntialias = true };
            for (var s = 0; s < 12; s++)
            {
                paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                canvas.DrawCircle(random.Next(width), random.Next(height), 10 + random.Next(80), paint);
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 88);
        return data.ToArray();
    }

    private static (string Name, byte[] Bytes)[] BadUploads(byte[] goodJpeg) =>
    [
        ("non-image", "<html><body>not an image</body></html>"u8.ToArray()),
        ("truncated", goodJpeg[..(goodJpeg.Length / 3)]),
        ("oversized", new byte[25 * 1024 * 1024]),
        ("30000x30000 png", HugePng()),
    ];

    /// <summary>A valid 30000 x 30000 1-bit greyscale PNG, about 110 KB.</summary>
    private static byte[] HugePng()
    {
        const int side = 30000;
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + ((side + 7) / 8)];
            for (var y = 0; y < side; y++)
            {
                z.Write(row);
            }
        }

        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, side);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), side);
        header[8] = 1;
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        foreach (var (type, data) in new[] { ("IHDR", header), ("IDAT", idat.ToArray()), ("IEND", Array.Empty<byte>()) })
        {
            var chunk = new byte[4 + data.Length];
            System.Text.Encoding.ASCII.GetBytes(type, chunk);
            data.CopyTo(chunk, 4);
            var be = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(be, data.Length);
            png.Write(be);
            png.Write(chunk);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(be, Crc32(chunk));
            png.Write(be);
        }

        return png.ToArray();
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
