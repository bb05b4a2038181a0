using TransferLearning.Backbones;
using TransferLearning.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Backbones;

public class BackboneCatalogTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var info in BackboneCatalog.All)
        {
            data.Add(info.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Build_EveryEntry_GivesLogitsAndTablesFeatureSize(string name)
    {
        var info = BackboneCatalog.Get(name);
        using var model = new TransferModelBuilder().WithBackbone(name).WithWeights(RandomWeights.Instance)
            .WithClassCount(3).WithInputSize(64).WithSeed(1).Build();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 3, 64, 64);
        var map = model.Base.call(x);
        Assert.Equal(info.FeatureChannels, (int)map.shape[1]);
        Assert.Equal(64 / info.Blocks[^1].Stride, (int)map.shape[2]);
        Assert.Equal(new long[] { 2, 3 }, model.call(x).shape);
        Assert.Equal(info.FeatureChannels, model.FeatureSize);
    }

    [Fact]
    public void ResNet18_StateDictKeys_MatchTorchVisionWithoutFc()
    {
        using var tv = torchvision.models.resnet18();
        var expected = tv.state_dict().Keys.Where(k => !k.StartsWith("fc.", StringComparison.Ordinal)).OrderBy(k => k).ToArray();
        using var @base = BackboneModule.Create(BackboneCatalog.ResNet18);
        var actual = @base.state_dict().Keys.OrderBy(k => k).ToArray();
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void StateDict_TransferModel_HoldsEachBaseTensorOnceUnderBackbonePrefix(string name)
    {
        using var model = new TransferModelBuilder().WithBackbone(name).WithWeights(RandomWeights.Instance)
            .WithClassCount(2).WithInputSize(32).Build();
        var baseKeys = model.Base.state_dict().Keys.Select(k => "backbone." + k).OrderBy(k => k, StringComparer.Ordinal);
        var headKeys = model.Head.state_dict().Keys.Select(k => "head." + k);
        var expected = baseKeys.Concat(headKeys).OrderBy(k => k, StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, model.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray());
    }
}
