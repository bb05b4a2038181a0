using TorchSharp;
using TransferLearning.Backbones;
using TransferLearning.Heads;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Tests;

public class TransferModelTests
{
    private static TransferModel Build(string backbone = "resnet18", int inputSize = 32, HeadOptions? head = null, bool keepBn = true) =>
        new TransferModelBuilder()
            .WithBackbone(backbone)
            .WithWeights(RandomWeights.Instance)
            .WithClassCount(3)
            .WithInputSize(inputSize)
            .WithHead(head ?? new HeadOptions { HiddenSizes = new[] { 8 } })
            .KeepBatchNormInInferenceMode(keepBn)
            .WithSeed(7)
            .Build();

    private static long Count(IEnumerable<TorchSharp.Modules.Parameter> ps) => ps.Sum(p => p.numel());

    private static Dictionary<string, float[]> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float32).data<float>().ToArray());

    private static void Step(TransferModel model, int steps, double lr = 0.1)
    {
        model.train();
        var trainable = model.parameters().Where(p => p.requires_grad).ToArray();
        using var optimizer = optim.SGD(trainable, lr);
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var x = randn(4, 3, model.InputSize, model.InputSize) * 3 + 1;
            var loss = nn.functional.cross_entropy(model.call(x), tensor(new long[] { 0, 1, 2, 1 }));
            loss.backward();
            optimizer.step();
        }
    }

    [Fact]
    public void Build_NewModel_StartsWithBaseFrozenAndOnlyHeadTrainable()
    {
        using var model = Build();
        Assert.True(model.IsBaseFrozen);
        Assert.Empty(model.TrainableBlocks);
        Assert.Equal(Count(model.Head.parameters()), model.TrainableParameterCount);
    }

    [Fact]
    public void FreezeOperations_EachCall_GiveExpectedTrainableParameterCount()
    {
        using var model = Build();
        long head = Count(model.Head.parameters());
        long Block(string name) => Count(model.Base.GetBlockParameters(model.Backbone.IndexOfBlock(name)));

        model.UnfreezeTop(1);
        Assert.Equal(new[] { "layer4" }, model.TrainableBlocks);
        Assert.Equal(head + Block("layer4"), model.TrainableParameterCount);

        model.UnfreezeFrom("layer3");
        Assert.Equal(new[] { "layer3", "layer4" }, model.TrainableBlocks);
        Assert.Equal(head + Block("layer3") + Block("layer4"), model.TrainableParameterCount);

        model.UnfreezeAll();
        Assert.Equal(model.ParameterCount, model.TrainableParameterCount);

        model.FreezeBase();
        Assert.Equal(head, model.TrainableParameterCount);

        model.UnfreezeTop(0);
        Assert.Equal(head, model.TrainableParameterCount);
    }

    [Fact]
    public void Step_BaseFrozen_LeavesEveryBaseTensorBitwiseUnchanged()
    {
        using var model = Build();
        var before = Snapshot(model.Base);
        var headBefore = Snapshot(model.Head);
        Step(model, 3);
        var after = Snapshot(model.Base);
        foreach (var (key, value) in before)
        {
            Assert.True(value.AsSpan().SequenceEqual(after[key]), $"{key} changed");
        }

        Assert.Contains(headBefore, kv => !kv.Value.AsSpan().SequenceEqual(Snapshot(model.Head)[kv.Key]));
    }

    [Fact]
    public void Step_TopBlockUnfrozen_ChangesOnlyThatBlockAndKeepsBatchNormStatistics()
    {
        using var model = Build();
        model.UnfreezeTop(1);
        var before = Snapshot(model.Base);
        Step(model, 3);
        var after = Snapshot(model.Base);
        foreach (var (key, value) in before)
        {
            bool changed = !value.AsSpan().SequenceEqual(after[key]);
            bool isStat = key.Contains("running_", StringComparison.Ordinal) || key.Contains("num_batches", StringComparison.Ordinal);
            if (key.StartsWith("layer4.", StringComparison.Ordinal) && !isStat && key.Contains("conv", StringComparison.Ordinal))
            {
                Assert.True(changed, $"{key} did not change");
            }
            else if (!key.StartsWith("layer4.", StringComparison.Ordinal) || isStat)
            {
                Assert.False(changed, $"{key} changed");
            }
        }
    }

    [Fact]
    public void Step_KeepBatchNormDisabled_UpdatesStatisticsOnlyInUnfrozenBlocks()
    {
        using var model = Build(keepBn: false);
        model.UnfreezeTop(1);
        var before = Snapshot(model.Base);
        Step(model, 2);
        var after = Snapshot(model.Base);
        Assert.False(before["layer4.0.bn1.running_mean"].AsSpan().SequenceEqual(after["layer4.0.bn1.running_mean"]));
        Assert.True(before["layer3.0.bn1.running_mean"].AsSpan().SequenceEqual(after["layer3.0.bn1.running_mean"]));
        Assert.True(before["bn1.running_var"].AsSpan().SequenceEqual(after["bn1.running_var"]));
    }

    [Fact]
    public void Backward_TopBlockUnfrozen_GradientsReachOnlyUnfrozenBlocks()
    {
        using var model = Build();
        model.UnfreezeFrom("layer4");
        model.train();
        using var scope = NewDisposeScope();
        var loss = nn.functional.cross_entropy(model.call(randn(2, 3, 32, 32)), tensor(new long[] { 0, 2 }));
        loss.backward();
        foreach (var (name, p) in model.named_parameters())
        {
            bool shouldHaveGrad = name.StartsWith("head.", StringComparison.Ordinal) || name.StartsWith("backbone.layer4.", StringComparison.Ordinal);
            if (shouldHaveGrad)
            {
                Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"{name} has no gradient");
            }
            else
            {
                Assert.True(p.grad is null, $"{name} has a gradient");
            }
        }
    }

    [Fact]
    public void Train_AfterEval_KeepsBatchNormOfBaseInInferenceModeAndHeadDropoutActive()
    {
        using var model = Build(head: new HeadOptions { HiddenSizes = new[] { 8 }, Dropout = 0.5, BatchNorm = true });
        model.UnfreezeAll();
        model.eval();
        model.train();
        var baseBns = model.Base.modules().Where(BackboneModule.IsBatchNorm).ToArray();
        Assert.NotEmpty(baseBns);
        Assert.All(baseBns, bn => Assert.False(bn.training));
        Assert.All(model.Head.modules().Where(m => m is TorchSharp.Modules.Dropout or TorchSharp.Modules.BatchNorm1d), m => Assert.True(m.training));
    }

    [Fact]
    public void GetParameterGroups_ResNet_ListsBlocksBottomToTopThenHead()
    {
        using var model = Build();
        model.UnfreezeTop(2);
        var groups = model.GetParameterGroups();
        Assert.Equal(new[] { "stem", "layer1", "layer2", "layer3", "layer4", "head" }, groups.Select(g => g.Name));
        Assert.Equal(new[] { false, false, false, true, true, true }, groups.Select(g => g.IsTrainable));
        Assert.Equal(new[] { 5, 4, 3, 2, 1, 0 }, groups.Select(g => g.Depth));
    }

    [Fact]
    public void UnfreezeTop_MoreBlocksThanExist_ThrowsBeforeChangingAnything()
    {
        using var model = Build();
        model.UnfreezeTop(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.UnfreezeTop(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.UnfreezeTop(-1));
        Assert.Equal(new[] { "layer4" }, model.TrainableBlocks);
    }

    [Fact]
    public void UnfreezeFrom_UnknownBlock_ThrowsListingValidNames()
    {
        using var model = Build();
        var ex = Assert.Throws<ArgumentException>(() => model.UnfreezeFrom("block5"));
        Assert.Contains("stem, layer1, layer2, layer3, layer4", ex.Message);
    }

    [Fact]
    public void UnfreezeFrom_BlockRemovedByTruncation_Throws()
    {
        using var model = new TransferModelBuilder().WithBackbone("resnet18").WithClassCount(2).WithInputSize(32).TruncateAfter("layer2").Build();
        Assert.Equal(new[] { "stem", "layer1", "layer2" }, model.BlockNames);
        Assert.Throws<ArgumentException>(() => model.UnfreezeFrom("layer4"));
        Assert.True(model.Head.NormalizesInput); // truncated base: head input normalised by default
    }
}
