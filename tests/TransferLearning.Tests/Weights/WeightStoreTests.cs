using System.Net;
using System.Security.Cryptography;
using TransferLearning.Weights;

namespace TransferLearning.Tests.Weights;

public sealed class WeightStoreTests : IDisposable
{
    private static readonly byte[] Payload = RandomNumberGenerator.GetBytes(300_000);
    private static readonly string PayloadSha = Convert.ToHexString(SHA256.HashData(Payload)).ToLowerInvariant();
    private readonly string folder = StateDictAssert.TempFolder();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static async Task Serve(HttpListenerContext context, CancellationToken stop)
    {
        var response = context.Response;
        switch (context.Request.Url!.AbsolutePath)
        {
            case "/weights.pth":
                response.ContentLength64 = Payload.Length;
                for (int offset = 0; offset < Payload.Length; offset += 50_000)
                {
                    await response.OutputStream.WriteAsync(Payload.AsMemory(offset, Math.Min(50_000, Payload.Length - offset)), stop);
                }

                response.Close();
                break;
            case "/truncated.pth":
                response.ContentLength64 = Payload.Length;
                await response.OutputStream.WriteAsync(Payload.AsMemory(0, Payload.Length / 2), stop);
                await response.OutputStream.FlushAsync(stop);
                response.Abort();
                break;
            case "/stall.pth":
            case "/slow.pth":
                response.ContentLength64 = Payload.Length;
                await response.OutputStream.WriteAsync(Payload.AsMemory(0, 1000), stop);
                await response.OutputStream.FlushAsync(stop);
                // Then nothing for up to 20 s (bounded; the server is disposed sooner).
                await Task.Delay(TimeSpan.FromSeconds(20), stop);
                response.Abort();
                break;
            default:
                response.StatusCode = 404;
                response.Close();
                break;
        }
    }

    private PretrainedWeightsInfo Info(LoopbackServer server, string file, string? sha) => new()
    {
        Name = "imagenet",
        FileName = "weights.pth",
        Url = new Uri(server.BaseUri, file),
        Sha256 = sha,
        Format = WeightsFormat.PyTorch,
        Origin = "test server",
    };

    private WeightStore Store(double stallSeconds = 10) => new(new WeightStoreOptions { CacheFolder = folder, StallTimeout = TimeSpan.FromSeconds(stallSeconds) });

    private void AssertCacheEmpty() => Assert.Empty(Directory.GetFileSystemEntries(folder));

    [Theory]
    [InlineData(64)]
    [InlineData(8)]
    public async Task ResolveAsync_GoodServer_DownloadsVerifiesAndCaches(int shaDigits)
    {
        using var server = new LoopbackServer(Serve);
        var store = Store();
        var info = Info(server, "weights.pth", PayloadSha[..shaDigits]);
        var reports = new List<DownloadProgress>();
        var progress = new SynchronousProgress(reports);

        string path = await store.ResolveAsync(info, progress);

        Assert.Equal(Path.Combine(folder, "weights.pth"), path);
        Assert.Equal(Payload, await File.ReadAllBytesAsync(path));
        Assert.Equal(new[] { "weights.pth" }, Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
        Assert.NotEmpty(reports);
        Assert.Equal(Payload.Length, reports[^1].BytesReceived);
        Assert.Equal(Payload.Length, reports[^1].TotalBytes);
        Assert.True(store.IsCached(info));

        // A second resolve is served from the cache.
        int before = server.Requests;
        Assert.Equal(path, await store.ResolveAsync(info));
        Assert.Equal(before, server.Requests);
    }

    [Fact]
    public async Task DownloadAsync_ShaMismatch_ThrowsAndKeepsExistingGoodFile()
    {
        using var server = new LoopbackServer(Serve);
        var store = Store();
        string good = Path.Combine(folder, "weights.pth");
        await File.WriteAllBytesAsync(good, new byte[] { 1, 2, 3 });
        var info = Info(server, "weights.pth", "0123456789abcdef");

        var error = await Assert.ThrowsAsync<WeightsDownloadException>(() => store.DownloadAsync(info));

        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(good));
        Assert.Single(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public async Task ResolveAsync_ShaMismatch_LeavesCacheEmpty()
    {
        using var server = new LoopbackServer(Serve);
        var error = await Assert.ThrowsAsync<WeightsDownloadException>(() => Store().ResolveAsync(Info(server, "weights.pth", new string('0', 64))));
        Assert.Contains("weights.pth", error.Message, StringComparison.Ordinal);
        AssertCacheEmpty();
    }

    [Fact]
    public async Task ResolveAsync_NotFound_ThrowsWithStatusAndLeavesCacheEmpty()
    {
        using var server = new LoopbackServer(Serve);
        var error = await Assert.ThrowsAsync<WeightsDownloadException>(() => Store().ResolveAsync(Info(server, "missing.pth", PayloadSha)));
        Assert.Contains("404", error.Message, StringComparison.Ordinal);
        AssertCacheEmpty();
    }

    [Fact]
    public async Task ResolveAsync_TruncatedBody_ThrowsAndLeavesCacheEmpty()
    {
        using var server = new LoopbackServer(Serve);
        await Assert.ThrowsAsync<WeightsDownloadException>(() => Store().ResolveAsync(Info(server, "truncated.pth", PayloadSha)));
        AssertCacheEmpty();
    }

    [Fact]
    public async Task ResolveAsync_StalledServer_TimesOutAndLeavesCacheEmpty()
    {
        using var server = new LoopbackServer(Serve);
        var error = await Assert.ThrowsAsync<WeightsDownloadException>(() => Store(stallSeconds: 1).ResolveAsync(Info(server, "stall.pth", PayloadSha)));
        Assert.IsType<TimeoutException>(error.InnerException);
        AssertCacheEmpty();
    }

    [Fact]
    public async Task ResolveAsync_Cancelled_ThrowsCancelledAndLeavesCacheEmpty()
    {
        using var server = new LoopbackServer(Serve);
        using var cancel = new CancellationTokenSource();
        var progress = new CallbackProgress(_ => cancel.Cancel());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store().ResolveAsync(Info(server, "slow.pth", PayloadSha), progress, cancel.Token));
        AssertCacheEmpty();
    }

    [Fact]
    public void Resolve_OfflineAndNotCached_ThrowsNamingFileFolderAndSource()
    {
        var store = new WeightStore(new WeightStoreOptions { CacheFolder = folder, AllowDownload = false });
        var info = new PretrainedWeightsInfo
        {
            Name = "imagenet",
            FileName = "resnet18-f37072fd.pth",
            Url = new Uri("https://download.pytorch.org/models/resnet18-f37072fd.pth"),
            Sha256 = "f37072fd",
            Format = WeightsFormat.PyTorch,
        };

        var error = Assert.Throws<WeightsNotFoundException>(() => store.Resolve(info));
        Assert.Contains("resnet18-f37072fd.pth", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(folder, "resnet18-f37072fd.pth"), error.Message, StringComparison.Ordinal);
        Assert.Contains("https://download.pytorch.org/models/resnet18-f37072fd.pth", error.Message, StringComparison.Ordinal);
        Assert.Contains(WeightStoreOptions.CacheFolderVariable, error.Message, StringComparison.Ordinal);
        AssertCacheEmpty();
    }

    [Fact]
    public void Import_VerifiedFile_CopiedIntoCacheAndBadFileRejected()
    {
        string outside = StateDictAssert.TempFolder();
        try
        {
            string good = Path.Combine(outside, "downloaded.pth");
            File.WriteAllBytes(good, Payload);
            string bad = Path.Combine(outside, "other.pth");
            File.WriteAllBytes(bad, new byte[] { 9, 9, 9 });
            var store = new WeightStore(new WeightStoreOptions { CacheFolder = folder, AllowDownload = false });
            var info = new PretrainedWeightsInfo { Name = "imagenet", FileName = "weights.pth", Sha256 = PayloadSha[..8], Format = WeightsFormat.PyTorch };

            Assert.Throws<InvalidDataException>(() => store.Import(info, bad));
            AssertCacheEmpty();

            string path = store.Import(info, good);
            Assert.Equal(Payload, File.ReadAllBytes(path));
            Assert.Equal(path, store.Resolve(info));
            Assert.Single(Directory.GetFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void Options_Defaults_CacheUnderLocalApplicationDataOrEnvironment()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(WeightStoreOptions.CacheFolderVariable);
        string expected = string.IsNullOrWhiteSpace(fromEnvironment)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "TransferLearning", "weights")
            : Path.GetFullPath(fromEnvironment);
        Assert.Equal(expected, WeightStoreOptions.DefaultCacheFolder);
        Assert.Equal(Path.GetFullPath(folder), new WeightStoreOptions { CacheFolder = folder }.ResolvedCacheFolder);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightStoreOptions { StallTimeout = TimeSpan.Zero }.Validate());
    }

    private sealed class SynchronousProgress(List<DownloadProgress> reports) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }

    private sealed class CallbackProgress(Action<DownloadProgress> callback) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => callback(value);
    }
}
