using TransferLearning.Backbones;
using TransferLearning.Weights;
using static TorchSharp.torch;
using WeightsFactory = TransferLearning.Weights.Weights;

namespace TransferLearning.Tests.Weights;

public sealed class WeightsFactoryTests : IDisposable
{
    private readonly string folder = StateDictAssert.TempFolder();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Build_ResNet18CntkWithImageNet_LoadsOnnxWeightsOffline()
    {
        using var model = new TransferModelBuilder().WithBackbone("resnet18_cntk").WithWeights(WeightsFactory.ImageNet)
            .WithClassCount(3).WithInputSize(64).Build();
        using var reference = BackboneModule.Create(BackboneCatalog.ResNet18Cntk);
        OnnxResNetWeights.Locate().LoadInto(reference);
        StateDictAssert.Identical(reference, model.Base);
    }

    [Fact]
    public void ImageNet_TorchVisionBackboneOffline_ThrowsNamingFileAndUrl()
    {
        var store = new WeightStore(new WeightStoreOptions { CacheFolder = folder, AllowDownload = false });
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18);
        var error = Assert.Throws<WeightsNotFoundException>(() => WeightsFactory.ImageNetFrom(store).LoadInto(backbone));
        Assert.Contains("resnet18-f37072fd.pth", error.Message, StringComparison.Ordinal);
        Assert.Contains("https://download.pytorch.org/models/resnet18-f37072fd.pth", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void ImageNet_TorchVisionBackboneCached_LoadsCachedFile()
    {
        using var source = StateDictAssert.Create(BackboneCatalog.MobileNetV3Small, seed: 5);
        var info = ImageNetWeights.GetInfo(BackboneCatalog.MobileNetV3Small);
        PyTorchWeights.Save(source, Path.Combine(folder, info.FileName));
        var store = new WeightStore(new WeightStoreOptions { CacheFolder = folder, AllowDownload = false });

        using var target = BackboneModule.Create(BackboneCatalog.MobileNetV3Small);
        WeightsFactory.ImageNetFrom(store).LoadInto(target);
        StateDictAssert.Identical(source, target);
    }

    [Theory]
    [InlineData("a.pth", new byte[] { 0x50, 0x4B, 3, 4, 0 }, WeightsFormat.PyTorch)]
    [InlineData("a.weights", new byte[] { 0x50, 0x4B, 3, 4, 0 }, WeightsFormat.PyTorch)]
    [InlineData("a.bin", new byte[] { 0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A }, WeightsFormat.KerasH5)]
    [InlineData("a.safetensors", new byte[] { 8, 0, 0, 0, 0, 0, 0, 0 }, WeightsFormat.SafeTensors)]
    [InlineData("a.onnx", new byte[] { 8, 3 }, WeightsFormat.Onnx)]
    [InlineData("a.dat", new byte[] { 1 }, WeightsFormat.TorchSharpDat)]
    public void DetectFormat_MagicOrExtension_Recognised(string name, byte[] head, WeightsFormat expected)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, head);
        Assert.Equal(expected, WeightsFactory.DetectFormat(path));
    }

    [Fact]
    public void FromFile_UnknownOrMissing_ThrowsClearly()
    {
        string path = Path.Combine(folder, "weights.xyz");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        Assert.Throws<NotSupportedException>(() => WeightsFactory.FromFile(path));
        Assert.Throws<FileNotFoundException>(() => WeightsFactory.FromFile(Path.Combine(folder, "none.pth")));
        Assert.Same(RandomWeights.Instance, WeightsFactory.Random);
    }
}
