using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using TransferLearning.Persistence;

namespace TransferLearning.Tests.Persistence;

public sealed class ModelFileLimitsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tl-limits-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData("\"hiddenSizes\": \\[[^\\]]*\\]", "\"hiddenSizes\": [2000000000]", "hidden size")]
    [InlineData("\"hiddenSizes\": \\[[^\\]]*\\]", "\"hiddenSizes\": [60000, 60000]", "at least")]
    [InlineData("\"inputSize\": 32", "\"inputSize\": 10000", "inputSize 10000")]
    [InlineData("\"resizeSize\": \\d+", "\"resizeSize\": 1000000", "resizeSize")]
    public void Load_HostileManifestWithValidChecksums_RefusedQuicklyWithoutAllocating(string pattern, string replacement, string expected)
    {
        using var model = TestModels.TinyResNet();
        string path = Path.Combine(folder, "m.tlm");
        TransferModelFile.Save(model, path);
        RewriteManifest(path, json =>
        {
            var edited = Regex.Replace(json, pattern, replacement);
            Assert.NotEqual(json, edited);
            return edited;
        });
        long before = GC.GetTotalMemory(forceFullCollection: false);
        var clock = Stopwatch.StartNew();

        var error = Assert.Throws<ModelFileException>(() => TransferModelFile.Load(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), clock.Elapsed.ToString());
        Assert.True(GC.GetTotalMemory(forceFullCollection: false) - before < 200_000_000);
    }

    [Fact]
    public void Load_Folder_SaysItIsAFolder()
    {
        string path = Path.Combine(folder, "model.tlm");
        Directory.CreateDirectory(path);

        var error = Assert.Throws<ModelFileException>(() => TransferModelFile.Load(path));

        Assert.Contains("is a folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_ModelBeyondTheLimits_RefusedSoNoUnloadableFileIsWritten()
    {
        using var model = new TransferModelBuilder().WithWeights(TransferLearning.Weights.RandomWeights.Instance)
            .WithBackbone("resnet18")
            .TruncateAfter("layer1")
            .WithHead(TransferLearning.Heads.HeadOptions.Linear())
            .WithClassCount(2)
            .WithInputSize(ModelFileLimits.MaxInputSize + 1)
            .Build();
        string path = Path.Combine(folder, "big.tlm");

        var error = Assert.Throws<ArgumentException>(() => TransferModelFile.Save(model, path));

        Assert.Contains("cannot be saved", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void Check_ValidSpecOfASavedModel_Passes()
    {
        using var model = TestModels.TinyResNet();

        ModelFileLimits.Check(model.Spec, weightsBytes: 10_000_000);
    }

    internal static void RewriteManifest(string path, Func<string, string> edit)
    {
        byte[] manifest, weights;
        using (var archive = ZipFile.OpenRead(path))
        {
            manifest = Read(archive.GetEntry(TransferModelFile.ManifestEntry)!);
            weights = Read(archive.GetEntry(TransferModelFile.WeightsEntry)!);
        }

        var edited = Encoding.UTF8.GetBytes(edit(Encoding.UTF8.GetString(manifest)));
        File.Delete(path);
        using var output = ZipFile.Open(path, ZipArchiveMode.Create);
        Write(output, TransferModelFile.ManifestEntry, edited);
        Write(output, TransferModelFile.WeightsEntry, weights);
        Write(output, TransferModelFile.ChecksumEntry, Encoding.ASCII.GetBytes($"{Sha(edited)}  {TransferModelFile.ManifestEntry}\n{Sha(weights)}  {TransferModelFile.WeightsEntry}\n"));
    }

    private static string Sha(byte[] b) => Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant();

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static void Write(ZipArchive archive, string name, byte[] content)
    {
        using var stream = archive.CreateEntry(name).Open();
        stream.Write(content);
    }
}
