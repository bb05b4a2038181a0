using TransferLearning.Data;
using TransferLearning.Heads;
using TransferLearning.Summaries;
using TransferLearning.Weights;

namespace TransferLearning.Tests.Summaries;

public class ModelSummaryTests
{
    // torchvision's published totals: resnet18 11,689,512 and mobilenet_v2 3,504,872 parameters, of which the
    // 1000-class classifiers take 512*1000+1000 = 513,000 and 1280*1000+1000 = 1,281,000.
    private const long ResNet18Base = 11_689_512 - 513_000;
    private const long MobileNetV2Base = 3_504_872 - 1_281_000;

    private static TransferModel Build(string backbone, int inputSize = 224) =>
        new TransferModelBuilder()
            .WithBackbone(backbone)
            .WithWeights(RandomWeights.Instance)
            .WithClassCount(5)
            .WithInputSize(inputSize)
            .WithHead(HeadOptions.Linear(dropout: 0.2))
            .WithSeed(3)
            .Build();

    [Fact]
    public void Summary_ResNet18_MatchesPublishedParameterCountAndBlockShapes()
    {
        using var model = Build("resnet18");
        var summary = model.Summary();

        Assert.Equal(ResNet18Base, summary.BaseParameters);
        Assert.Equal(512 * 5 + 5, summary.HeadParameters);
        Assert.Equal(model.ParameterCount, summary.TotalParameters);
        Assert.Equal(new[] { "stem", "layer1", "layer2", "layer3", "layer4" }, summary.Blocks.Select(b => b.Name));
        Assert.Equal(new long[] { 1, 64, 56, 56 }, summary.Blocks[0].OutputShape);
        Assert.Equal(new long[] { 1, 512, 7, 7 }, summary.Blocks[^1].OutputShape);
        Assert.Equal(new long[] { 1, 512 }, summary.HeadLayers[0].OutputShape);
        Assert.Equal(new long[] { 1, 5 }, summary.HeadLayers[^1].OutputShape);
        Assert.Equal("Linear(512 -> 5)", summary.HeadLayers[^1].Layer);
    }

    [Fact]
    public void Summary_MobileNetV2_MatchesPublishedParameterCount()
    {
        using var model = Build("mobilenet_v2");
        var summary = model.Summary();

        Assert.Equal(MobileNetV2Base, summary.BaseParameters);
        Assert.Equal(1280 * 5 + 5, summary.HeadParameters);
        Assert.Equal(new long[] { 1, 1280, 7, 7 }, summary.Blocks[^1].OutputShape);
    }

    [Fact]
    public void Summary_AfterUnfreezeTop_ShowsTrainableAndFrozenPerBlock()
    {
        using var model = Build("resnet18", inputSize: 64);
        model.UnfreezeTop(1);
        var summary = model.Summary();

        Assert.All(summary.Blocks.Take(4), b => Assert.False(b.IsTrainable));
        Assert.True(summary.Blocks[^1].IsTrainable);
        Assert.Equal(model.TrainableParameterCount, summary.TrainableParameters);
        Assert.Equal(model.ParameterCount - model.TrainableParameterCount, summary.FrozenParameters);
        Assert.All(summary.Blocks, b => Assert.Equal(BatchNormMode.Inference, b.BatchNorm));

        model.KeepBatchNormInInferenceMode = false;
        summary = model.Summary();
        Assert.Equal(BatchNormMode.Training, summary.Blocks[^1].BatchNorm);
        Assert.Equal(BatchNormMode.Inference, summary.Blocks[0].BatchNorm);

        string table = summary.ToString();
        Assert.Contains("layer4", table);
        Assert.Contains("(N, 512, 2, 2)", table);
        Assert.Contains("frozen", table);
        Assert.Contains("Total params: " + model.ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), table, StringComparison.Ordinal);
        Assert.Contains("Trainable params:", table);
    }

    [Fact]
    public void Summary_InTrainingMode_LeavesModeAndBatchNormStatisticsUnchanged()
    {
        using var model = Build("resnet18", inputSize: 64);
        model.UnfreezeAll();
        model.KeepBatchNormInInferenceMode = false;
        model.train();
        var before = model.state_dict().Where(kv => kv.Key.Contains("running_", StringComparison.Ordinal)).Select(kv => kv.Value.clone()).ToArray();

        model.Summary();

        Assert.True(model.training);
        Assert.True(model.Base.GetBlockBatchNorms(0)[0].training);
        var after = model.state_dict().Where(kv => kv.Key.Contains("running_", StringComparison.Ordinal)).Select(kv => kv.Value).ToArray();
        Assert.All(before.Zip(after), p => Assert.True(p.First.eq(p.Second).all().item<bool>()));
    }

    [Fact]
    public void ToString_UserFacingTypes_DescribeContentsNotTypeNames()
    {
        using var model = Build("resnet18", inputSize: 64);
        var groups = model.GetParameterGroups();

        Assert.DoesNotContain("System.", groups[0].ToString(), StringComparison.Ordinal);
        Assert.StartsWith("stem (depth 5):", groups[0].ToString(), StringComparison.Ordinal);
        Assert.Contains("frozen", groups[0].ToString(), StringComparison.Ordinal);
        Assert.Contains("mean [0.485, 0.456, 0.406]", ImagePreprocessing.Torch.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("System.", model.Spec.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("System.", new HeadOptions().ToString(), StringComparison.Ordinal);
        Assert.Contains("Linear(256)", new HeadOptions().ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("System.", model.Backbone.Blocks[0].ToString(), StringComparison.Ordinal);
        Assert.StartsWith("TransferModel(resnet18, input 64, 5 classes", model.ToString(), StringComparison.Ordinal);
    }
}
