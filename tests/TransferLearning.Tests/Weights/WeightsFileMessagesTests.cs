using TransferLearning.Backbones;
using TransferLearning.Export;
using TransferLearning.Tests.Persistence;
using TransferLearning.Weights;
using WeightsFactory = TransferLearning.Weights.Weights;

namespace TransferLearning.Tests.Weights;

/// <summary>Foreign, damaged and misplaced weights files get a message naming what is actually wrong (issue 12).</summary>
public sealed class WeightsFileMessagesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tl-wmsg-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void PyTorch_RandomBytes_SaysNotAPyTorchFileNotOldFormat()
    {
        string path = RandomFile("random.pth");

        var error = Assert.Throws<InvalidDataException>(() => new PyTorchWeights(path).ReadStateDict());

        Assert.Contains("not a PyTorch state dict", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("old PyTorch format", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Legacy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PyTorch_LegacyPickleHeader_SaysLegacyFormat()
    {
        string path = Path.Combine(folder, "legacy.pth");
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);

        var error = Assert.Throws<InvalidDataException>(() => new PyTorchWeights(path).ReadStateDict());

        Assert.Contains("legacy (pre-1.6, non-zip) PyTorch file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SafeTensors_RandomBytes_SaysNotASafetensorsFile()
    {
        string path = RandomFile("random.safetensors");

        var error = Assert.Throws<InvalidDataException>(() => new PyTorchWeights(path).ReadStateDict());

        Assert.Contains("not a safetensors file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SafeTensors_Truncated_SaysTruncated()
    {
        using var backbone = StateDictAssert.Create(BackboneCatalog.ResNet18, seed: 1);
        string whole = Path.Combine(folder, "whole.safetensors");
        PyTorchWeights.Save(backbone, whole, WeightsFormat.SafeTensors);
        string path = Path.Combine(folder, "cut.safetensors");
        File.WriteAllBytes(path, File.ReadAllBytes(whole)[..200]);

        var error = Assert.Throws<InvalidDataException>(() => new PyTorchWeights(path).ReadStateDict());

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Onnx_RandomBytes_SaysNotAnOnnxModel()
    {
        string path = RandomFile("random.onnx");
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18Cntk);

        var error = Assert.Throws<InvalidDataException>(() => new OnnxResNetWeights(path).LoadInto(backbone));

        Assert.Contains("not an ONNX model", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Protocol message contained an invalid tag", error.Message[..30], StringComparison.Ordinal);
    }

    [Fact]
    public void Onnx_Truncated_SaysTruncated()
    {
        using var model = TestModels.TinyResNet();
        byte[] bytes = OnnxExporter.ExportToBytes(model);
        string path = Path.Combine(folder, "cut.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18Cntk);

        var error = Assert.Throws<InvalidDataException>(() => new OnnxResNetWeights(path).LoadInto(backbone));

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dat_RandomBytes_SaysNotATorchSharpFile()
    {
        string path = RandomFile("random.dat");
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18);

        var error = Assert.Throws<InvalidDataException>(() => new TorchSharpDatWeights(path).LoadInto(backbone));

        Assert.Contains("not a TorchSharp weights file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dat_HugeShape_RefusedWithoutAllocating()
    {
        string path = Path.Combine(folder, "huge.dat");
        using (var writer = new BinaryWriter(File.Create(path)))
        {
            writer.Write((byte)1);
            writer.Write("fc.weight");
            writer.Write((byte)6); // float32
            writer.Write((byte)2);
            Leb(writer, 2_000_000_000);
            Leb(writer, 2_000_000_000);
            writer.Write(new byte[16]);
        }

        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18);

        var error = Assert.Throws<InvalidDataException>(() => new TorchSharpDatWeights(path).LoadInto(backbone));

        Assert.Contains("larger than the whole file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dat_Truncated_SaysTruncated()
    {
        using var source = StateDictAssert.Create(BackboneCatalog.ResNet18, seed: 1);
        string whole = Path.Combine(folder, "whole.dat");
        source.save(whole);
        string path = Path.Combine(folder, "cut.dat");
        byte[] bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18);

        var error = Assert.Throws<InvalidDataException>(() => new TorchSharpDatWeights(path).LoadInto(backbone));

        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("empty.pth", "is empty")]
    [InlineData("empty.safetensors", "not a safetensors file")]
    [InlineData("empty.dat", "is empty")]
    [InlineData("empty.h5", "is empty")]
    public void Load_EmptyFile_SaysItIsEmpty(string name, string expected)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, []);
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18);

        var error = Assert.Throws<InvalidDataException>(() => WeightsFactory.FromFile(path).LoadInto(backbone));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PyTorch_ZipWithoutDataPkl_SaysZipButNotAStateDict()
    {
        string path = Path.Combine(folder, "other.pth");
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Create))
        {
            using var entry = zip.CreateEntry("hello.txt").Open();
            entry.Write("hi"u8);
        }

        var error = Assert.Throws<InvalidDataException>(() => new PyTorchWeights(path).ReadStateDict());

        Assert.Contains("zip archive but not a PyTorch state dict", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keras_RandomBytes_NamesTheFile()
    {
        string path = RandomFile("random.h5");
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18);

        var error = Assert.Throws<InvalidDataException>(() => new KerasH5Weights(path).LoadInto(backbone));

        Assert.Contains("'random.h5'", error.Message, StringComparison.Ordinal);
        Assert.Contains("could not be read as Keras HDF5 weights", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("w.pth")]
    [InlineData("w.onnx")]
    [InlineData("w.dat")]
    public void FromFile_Folder_SaysItIsAFolder(string name)
    {
        string path = Path.Combine(folder, name);
        Directory.CreateDirectory(path);

        var error = Assert.Throws<ArgumentException>(() => WeightsFactory.FromFile(path));

        Assert.Contains("is a folder", error.Message, StringComparison.Ordinal);
    }

    private string RandomFile(string name)
    {
        string path = Path.Combine(folder, name);
        var bytes = new byte[100_000];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void Leb(BinaryWriter writer, long value)
    {
        while (true)
        {
            byte b = (byte)(value & 0x7f);
            value >>= 7;
            if (value == 0)
            {
                writer.Write(b);
                return;
            }

            writer.Write((byte)(b | 0x80));
        }
    }
}
