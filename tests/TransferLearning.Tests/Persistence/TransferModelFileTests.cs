using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using TransferLearning.Heads;
using TransferLearning.Persistence;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Persistence;

public sealed class TransferModelFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tl-persist-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathFor(string name) => System.IO.Path.Combine(folder, name);

    [Fact]
    public void SaveThenLoad_FastAiHeadOnMobileNetV3_GivesBitwiseIdenticalLogitsAndState()
    {
        using var model = new TransferModelBuilder()
            .WithBackbone("mobilenet_v3_small")
            .WithHead(HeadOptions.FastAi with { HiddenSizes = new[] { 32 } })
            .WithClasses(new[] { "cat", "dog", "bird" })
            .WithInputSize(32)
            .WithSeed(3)
            .Build()
            .WithRandomBatchNormStatistics(3);
        string path = PathFor("m.tlm");
        TransferModelFile.Save(model, path);

        using var loaded = TransferModelFile.Load(path);
        using var images = TestModels.RandomImages(2, 32, 5);
        using var noGrad = no_grad();
        using var expected = model.call(images);
        using var actual = loaded.call(images);
        Assert.True(TestModels.Same(expected, actual));
        TestModels.AssertSameState(model, loaded);
        Assert.Equal(model.ClassNames, loaded.ClassNames);
        Assert.False(loaded.training);
    }

    [Fact]
    public void LoadWithManifest_AfterSave_RoundTripsSpecMetadataAndTrainableBlocks()
    {
        using var model = TestModels.TinyResNet();
        model.UnfreezeTop(1);
        var metadata = new ModelMetadata
        {
            Description = "texture classifier",
            Metrics = new Dictionary<string, double> { ["val_accuracy"] = 0.875, ["epochs"] = 3 },
            Properties = new Dictionary<string, string> { ["dataset"] = "textures-64" },
        };
        string path = PathFor("m.tlm");
        TransferModelFile.Save(model, path, metadata);

        var manifest = TransferModelFile.ReadManifest(path);
        var loaded = TransferModelFile.LoadWithManifest(path);
        using var loadedModel = loaded.Model;

        string Json(TransferModelSpec s) => JsonSerializer.Serialize(s, TransferModelFile.JsonOptions);
        Assert.Equal(Json(model.Spec), Json(manifest.Spec));
        Assert.Equal(Json(model.Spec), Json(loadedModel.Spec));
        Assert.Equal(TransferModelFile.FormatVersion, manifest.FormatVersion);
        Assert.Equal("texture classifier", loaded.Manifest.Metadata.Description);
        Assert.Equal(0.875, loaded.Manifest.Metadata.Metrics["val_accuracy"]);
        Assert.Equal("textures-64", loaded.Manifest.Metadata.Properties["dataset"]);
        Assert.Equal(new[] { "layer1" }, loadedModel.TrainableBlocks);
        Assert.Equal(model.TrainableParameterCount, loadedModel.TrainableParameterCount);
        Assert.Equal(model.ParameterCount, manifest.ParameterCount);
    }

    [Fact]
    public void Save_WriterFailsMidway_LeavesExistingFileIntactAndNoTempFile()
    {
        using var first = TestModels.TinyResNet(seed: 1);
        using var second = TestModels.TinyResNet(seed: 2);
        string path = PathFor("m.tlm");
        TransferModelFile.Save(first, path);
        byte[] before = File.ReadAllBytes(path);

        var ex = Assert.Throws<IOException>(() =>
            TransferModelFile.Save(second, path, null, s => new FailingStream(s, failAfter: before.Length / 2), default));
        Assert.Contains("disk full", ex.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(folder));
        using var loaded = TransferModelFile.Load(path);
        TestModels.AssertSameState(first, loaded);
    }

    [Fact]
    public void Save_Cancelled_LeavesNoFile()
    {
        using var model = TestModels.TinyResNet();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        string path = PathFor("m.tlm");
        Assert.ThrowsAny<OperationCanceledException>(() => TransferModelFile.Save(model, path, cancellationToken: cts.Token));
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void Load_ForeignFiles_ThrowModelFileException()
    {
        string random = PathFor("random.bin");
        File.WriteAllBytes(random, RandomNumberGenerator.GetBytes(5000));
        Assert.Throws<ModelFileException>(() => TransferModelFile.Load(random));

        string empty = PathFor("empty.tlm");
        File.WriteAllBytes(empty, Array.Empty<byte>());
        Assert.Throws<ModelFileException>(() => TransferModelFile.Load(empty));

        string zip = PathFor("other.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(archive.CreateEntry("readme.txt").Open());
            writer.Write("hello");
        }

        var ex = Assert.Throws<ModelFileException>(() => TransferModelFile.Load(zip));
        Assert.Contains("Not a TransferLearning model file", ex.Message);
        Assert.Equal(zip, ex.FilePath);
    }

    [Fact]
    public void Load_NewerFormatVersionWithValidChecksums_ThrowsClearVersionError()
    {
        using var model = TestModels.TinyResNet();
        string path = PathFor("m.tlm");
        TransferModelFile.Save(model, path);
        RewriteManifest(path, json => json.Replace("\"formatVersion\": 1", "\"formatVersion\": 2", StringComparison.Ordinal));

        var ex = Assert.Throws<ModelFileException>(() => TransferModelFile.Load(path));
        Assert.Contains("Unsupported model file format version 2", ex.Message);
    }

    [Fact]
    public void Load_UnknownBackboneWithValidChecksums_ThrowsModelFileException()
    {
        using var model = TestModels.TinyResNet();
        string path = PathFor("m.tlm");
        TransferModelFile.Save(model, path);
        RewriteManifest(path, json => json.Replace("\"backbone\": \"resnet18\"", "\"backbone\": \"alexnet\"", StringComparison.Ordinal));

        var ex = Assert.Throws<ModelFileException>(() => TransferModelFile.Load(path));
        Assert.Contains("alexnet", ex.Message);
    }

    [Fact]
    public void Load_ShapesDoNotMatchManifest_ThrowsModelFileException()
    {
        using var model = TestModels.TinyResNet();
        string path = PathFor("m.tlm");
        TransferModelFile.Save(model, path);
        // The manifest now asks for a wider hidden layer than the weights hold.
        RewriteManifest(path, json => json.Replace("\"hiddenSizes\": [\n        16\n      ]", "\"hiddenSizes\": [\n        17\n      ]", StringComparison.Ordinal));

        var ex = Assert.Throws<ModelFileException>(() => TransferModelFile.Load(path));
        Assert.Contains("shape", ex.Message);
    }

    [Theory]
    [InlineData("\"classNames\": [", "\"classNames\": null, \"x\": [")]
    [InlineData("\"inputSize\": 32", "\"inputSize\": -5")]
    [InlineData("\"dropout\": 0.1", "\"dropout\": 2")]
    [InlineData("\"format\": \"TransferLearning.Model\"", "\"format\": \"Something.Else\"")]
    [InlineData("\"spec\": {", "\"spec\": {{")]
    [InlineData("\"pooling\": \"Average\"", "\"pooling\": \"Median\"")]
    public void Load_InvalidManifestWithValidChecksums_ThrowsModelFileException(string find, string replace)
    {
        using var model = TestModels.TinyResNet();
        string path = PathFor("m.tlm");
        TransferModelFile.Save(model, path);
        RewriteManifest(path, json => json.Replace(find, replace, StringComparison.Ordinal));

        Assert.Throws<ModelFileException>(() => TransferModelFile.Load(path));
        Assert.Throws<ModelFileException>(() => TransferModelFile.ReadManifest(path));
    }

    [Fact]
    public void Load_BitFlipInWeights_ThrowsChecksumMismatch()
    {
        using var model = TestModels.TinyResNet();
        string path = PathFor("m.tlm");
        TransferModelFile.Save(model, path);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10; // the stored weights fill the middle of the file
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<ModelFileException>(() => TransferModelFile.Load(path));
        Assert.Contains("Checksum mismatch", ex.Message);
    }

    [Fact]
    public void Load_FromNonSeekableStream_Works()
    {
        using var model = TestModels.TinyResNet();
        using var buffer = new MemoryStream();
        TransferModelFile.Save(model, buffer);
        using var loaded = TransferModelFile.Load(new NonSeekableStream(new MemoryStream(buffer.ToArray())));
        TestModels.AssertSameState(model, loaded);
    }

    [Fact]
    public void LoadedModel_UnfreezeTopAndTrainSteps_ChangesWeights()
    {
        using var model = TestModels.TinyResNet();
        string path = PathFor("m.tlm");
        TransferModelFile.Save(model, path);
        using var loaded = TransferModelFile.Load(path);
        loaded.UnfreezeTop(1);
        Assert.Equal(new[] { "layer1" }, loaded.TrainableBlocks);

        var trainable = loaded.parameters().Where(p => p.requires_grad).ToArray();
        var before = loaded.Base.GetBlockParameters(1).Select(p => p.detach().clone()).ToArray();
        var frozenBefore = loaded.Base.GetBlockParameters(0).Select(p => p.detach().clone()).ToArray();
        var optimizer = optim.SGD(trainable, 0.1);
        using var images = TestModels.RandomImages(4, 32, 9);
        using var labels = tensor(new long[] { 0, 1, 2, 0 });
        loaded.train();
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(loaded.call(images), labels);
            loss.backward();
            optimizer.step();
        }

        loaded.eval();
        var after = loaded.Base.GetBlockParameters(1).ToArray();
        Assert.Contains(Enumerable.Range(0, after.Length), i => !TestModels.Same(before[i], after[i]));
        var frozenAfter = loaded.Base.GetBlockParameters(0).ToArray();
        Assert.All(Enumerable.Range(0, frozenAfter.Length), i => Assert.True(TestModels.Same(frozenBefore[i], frozenAfter[i])));
    }

    internal static void RewriteManifest(string path, Func<string, string> edit)
    {
        var entries = new Dictionary<string, byte[]>();
        using (var archive = ZipFile.OpenRead(path))
        {
            foreach (var entry in archive.Entries)
            {
                using var s = entry.Open();
                using var m = new MemoryStream();
                s.CopyTo(m);
                entries[entry.FullName] = m.ToArray();
            }
        }

        string before = Encoding.UTF8.GetString(entries["manifest.json"]);
        string after = edit(before);
        Assert.NotEqual(before, after);
        entries["manifest.json"] = Encoding.UTF8.GetBytes(after);
        string Hash(byte[] b) => Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant();
        entries["SHA256SUMS"] = Encoding.ASCII.GetBytes(
            $"{Hash(entries["manifest.json"])}  manifest.json\n{Hash(entries["weights.safetensors"])}  weights.safetensors\n");
        File.Delete(path);
        using var output = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var name in new[] { "manifest.json", "weights.safetensors", "SHA256SUMS" })
        {
            using var s = output.CreateEntry(name).Open();
            s.Write(entries[name]);
        }
    }

    private sealed class FailingStream(Stream inner, long failAfter) : Stream
    {
        private long written;

        public override bool CanRead => false;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (written + count > failAfter)
            {
                int part = (int)(failAfter - written);
                inner.Write(buffer, offset, part);
                written += part;
                throw new IOException("Simulated disk full.");
            }

            inner.Write(buffer, offset, count);
            written += count;
        }
    }

    internal sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
