using System.Net;
using System.Net.Sockets;
using TransferLearning.Backbones;
using TransferLearning.Weights;

namespace TransferLearning.Tests.Weights;

/// <summary>A download that fails on the network gets the same way out as a file that is not cached (issue 12, item 13).</summary>
public sealed class WeightStoreOfflineTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tl-offline-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Resolve_ConnectionRefused_NamesFileCacheFolderVariableAndImport()
    {
        var store = new WeightStore(new WeightStoreOptions { CacheFolder = folder, StallTimeout = TimeSpan.FromSeconds(10) });
        var info = new PretrainedWeightsInfo
        {
            Name = "imagenet",
            FileName = "resnet18-f37072fd.pth",
            Url = new Uri($"http://127.0.0.1:{ClosedPort()}/models/resnet18-f37072fd.pth"),
            Sha256 = "f37072fd",
            Format = WeightsFormat.PyTorch,
        };

        var error = Assert.Throws<WeightsDownloadException>(() => store.Resolve(info));

        Assert.Contains("resnet18-f37072fd.pth", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(folder, "resnet18-f37072fd.pth"), error.Message, StringComparison.Ordinal);
        Assert.Contains(WeightStoreOptions.CacheFolderVariable, error.Message, StringComparison.Ordinal);
        Assert.Contains("WeightStore.Import", error.Message, StringComparison.Ordinal);
        Assert.Contains("f37072fd", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void ImageNetWeights_TorchvisionBackboneOffline_GivesTheGuidance()
    {
        // The catalogue's resnet18 entry, pointed at a closed port on loopback instead of download.pytorch.org.
        var catalogue = ImageNetWeights.GetInfo(BackboneCatalog.ResNet18);
        var info = catalogue with { Url = new Uri($"http://127.0.0.1:{ClosedPort()}/models/{catalogue.FileName}") };
        var store = new WeightStore(new WeightStoreOptions { CacheFolder = folder });

        var error = Assert.Throws<WeightsDownloadException>(() => store.Resolve(info));

        Assert.Contains(catalogue.FileName, error.Message, StringComparison.Ordinal);
        Assert.Contains("put the file at", error.Message, StringComparison.Ordinal);
        Assert.Contains(WeightStoreOptions.CacheFolderVariable, error.Message, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        // A port that was free a moment ago and has nothing listening: connections are refused at once.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
