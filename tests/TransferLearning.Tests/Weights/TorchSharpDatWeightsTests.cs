using TransferLearning.Backbones;
using TransferLearning.Weights;

namespace TransferLearning.Tests.Weights;

public sealed class TorchSharpDatWeightsTests : IDisposable
{
    private readonly string folder = StateDictAssert.TempFolder();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void LoadInto_SavedBackbone_TensorsIdentical()
    {
        using var source = StateDictAssert.Create(BackboneCatalog.MobileNetV3Small, seed: 1);
        string path = Path.Combine(folder, "base.dat");
        source.save(path);

        using var target = StateDictAssert.Create(BackboneCatalog.MobileNetV3Small, seed: 2);
        var weights = TransferLearning.Weights.Weights.FromFile(path);
        Assert.IsType<TorchSharpDatWeights>(weights);
        weights.LoadInto(target);
        StateDictAssert.Identical(source, target);
    }

    [Fact]
    public void LoadInto_OtherArchitecture_ThrowsAndLeavesTargetUntouched()
    {
        using var source = StateDictAssert.Create(BackboneCatalog.MobileNetV3Small, seed: 1);
        string path = Path.Combine(folder, "other.dat");
        source.save(path);

        using var target = StateDictAssert.Create(BackboneCatalog.ResNet18, seed: 2);
        var before = StateDictAssert.Snapshot(target);
        var error = Record.Exception(() => new TorchSharpDatWeights(path).LoadInto(target));
        Assert.True(error is WeightsMismatchException or InvalidDataException, $"unexpected {error?.GetType()}: {error?.Message}");
        StateDictAssert.Unchanged(before, target);
    }
}
