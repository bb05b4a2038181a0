using TransferLearning.Backbones;
using TransferLearning.Weights;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TransferLearning.Tests.Weights;

public sealed class PyTorchWeightsTests : IDisposable
{
    private readonly string folder = StateDictAssert.TempFolder();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Theory]
    [InlineData(WeightsFormat.PyTorch, "resnet18.pth")]
    [InlineData(WeightsFormat.SafeTensors, "resnet18.safetensors")]
    public void LoadInto_FileWrittenFromBackbone_TensorsIdentical(WeightsFormat format, string fileName)
    {
        using var source = StateDictAssert.Create(BackboneCatalog.ResNet18, seed: 1);
        string path = Path.Combine(folder, fileName);
        // A full-model file: the old classifier is in it and must be skipped.
        var dict = new Dictionary<string, Tensor>(source.state_dict());
        using var fcWeight = randn(1000, 512);
        using var fcBias = randn(1000);
        dict["fc.weight"] = fcWeight;
        dict["fc.bias"] = fcBias;
        PyTorchWeights.Save(dict, path, format);

        using var target = StateDictAssert.Create(BackboneCatalog.ResNet18, seed: 2);
        var weights = TransferLearning.Weights.Weights.FromFile(path);
        Assert.IsType<PyTorchWeights>(weights);
        weights.LoadInto(target);

        StateDictAssert.Identical(source, target);
        Assert.Equal(64, weights.Fingerprint.Length);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void LoadInto_OneWrongShape_ThrowsNamingKeyAndLoadsNothing()
    {
        using var source = StateDictAssert.Create(BackboneCatalog.ResNet18, seed: 1);
        var dict = new Dictionary<string, Tensor>(source.state_dict());
        using var wrong = randn(64, 64, 3, 1);
        dict["layer2.0.conv1.weight"] = wrong;
        string path = Path.Combine(folder, "wrong.pth");
        PyTorchWeights.Save(dict, path);

        using var target = StateDictAssert.Create(BackboneCatalog.ResNet18, seed: 2);
        var before = StateDictAssert.Snapshot(target);
        var error = Assert.Throws<WeightsMismatchException>(() => new PyTorchWeights(path).LoadInto(target));

        var mismatch = Assert.Single(error.ShapeMismatches);
        Assert.Equal("layer2.0.conv1.weight", mismatch.Key);
        Assert.Equal(new long[] { 128, 64, 3, 3 }, mismatch.Expected);
        Assert.Equal(new long[] { 64, 64, 3, 1 }, mismatch.Actual);
        Assert.Empty(error.MissingKeys);
        Assert.Empty(error.UnexpectedKeys);
        Assert.Contains("layer2.0.conv1.weight", error.Message, StringComparison.Ordinal);
        StateDictAssert.Unchanged(before, target);
    }

    [Fact]
    public void LoadInto_MissingAndUnexpectedKeys_ListsBoth()
    {
        using var source = StateDictAssert.Create(BackboneCatalog.ResNet18, seed: 1);
        var dict = new Dictionary<string, Tensor>(source.state_dict());
        dict.Remove("layer4.1.bn2.running_var");
        using var extra = zeros(3);
        dict["layer5.0.conv1.weight"] = extra;
        string path = Path.Combine(folder, "keys.safetensors");
        PyTorchWeights.Save(dict, path, WeightsFormat.SafeTensors);

        using var target = BackboneModule.Create(BackboneCatalog.ResNet18);
        var error = Assert.Throws<WeightsMismatchException>(() => new PyTorchWeights(path).LoadInto(target));
        Assert.Equal(new[] { "layer4.1.bn2.running_var" }, error.MissingKeys);
        Assert.Equal(new[] { "layer5.0.conv1.weight" }, error.UnexpectedKeys);
        Assert.Contains("layer4.1.bn2.running_var", error.Message, StringComparison.Ordinal);
        Assert.Contains("layer5.0.conv1.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadInto_ClassifierNotSkipped_ReportsClassifierKeysAsUnexpected()
    {
        using var source = BackboneModule.Create(BackboneCatalog.ResNet18);
        var dict = new Dictionary<string, Tensor>(source.state_dict());
        using var fcBias = zeros(1000);
        dict["fc.bias"] = fcBias;
        string path = Path.Combine(folder, "fc.pth");
        PyTorchWeights.Save(dict, path);

        using var target = BackboneModule.Create(BackboneCatalog.ResNet18);
        var error = Assert.Throws<WeightsMismatchException>(() => new PyTorchWeights(path, skipClassifier: false).LoadInto(target));
        Assert.Equal(new[] { "fc.bias" }, error.UnexpectedKeys);
    }

    [Fact]
    public void ReadStateDict_NotAStateDict_ThrowsInvalidData()
    {
        string path = Path.Combine(folder, "garbage.pth");
        File.WriteAllBytes(path, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        Assert.Throws<InvalidDataException>(() => new PyTorchWeights(path).ReadStateDict());
    }
}
