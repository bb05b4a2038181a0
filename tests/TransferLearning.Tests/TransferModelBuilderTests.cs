using TransferLearning.Heads;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Tests;

public class TransferModelBuilderTests
{
    private static TransferModelBuilder Valid() =>
        new TransferModelBuilder().WithBackbone("mobilenet_v3_small").WithWeights(RandomWeights.Instance).WithClassCount(2).WithInputSize(32);

    [Fact]
    public void Build_NoBackbone_ThrowsInvalidOperation()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new TransferModelBuilder().WithClassCount(2).Build());
        Assert.Contains("resnet18", ex.Message);
    }

    [Fact]
    public void Build_UnknownBackbone_ThrowsListingValidNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => Valid().WithBackbone("resnet999").Build());
        Assert.Contains("mobilenet_v2", ex.Message);
    }

    [Fact]
    public void Build_NoClasses_ThrowsInvalidOperation() =>
        Assert.Throws<InvalidOperationException>(() => new TransferModelBuilder().WithBackbone("resnet18").Build());

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void WithClassCount_ZeroOrNegative_Throws(int count) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Valid().WithClassCount(count));

    [Fact]
    public void Build_SingleClass_Throws() =>
        Assert.Throws<ArgumentException>(() => Valid().WithClasses(new[] { "only" }).Build());

    [Fact]
    public void Build_DuplicateClassNames_Throws() =>
        Assert.Throws<ArgumentException>(() => Valid().WithClasses(new[] { "a", "b", "a" }).Build());

    [Fact]
    public void Build_HiddenSizeZero_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Valid().WithHead(new HeadOptions { HiddenSizes = new[] { 16, 0 } }).Build());

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Build_DropoutOutsideRange_Throws(double dropout) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Valid().WithHead(new HeadOptions { Dropout = dropout }).Build());

    [Fact]
    public void Build_UnknownTruncationBlock_ThrowsListingValidNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => Valid().TruncateAfter("layer3").Build());
        Assert.Contains("block3", ex.Message);
    }

    [Fact]
    public void Build_InputSmallerThanMinimum_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Valid().WithInputSize(16).Build());

    [Theory]
    [InlineData(PoolingKind.Average, 576)]
    [InlineData(PoolingKind.Max, 576)]
    [InlineData(PoolingKind.AverageMax, 1152)]
    [InlineData(PoolingKind.Flatten, 576 * 2 * 2)]
    public void Build_EachPooling_ComputesFeatureSize(PoolingKind pooling, int expected)
    {
        using var model = Valid().WithInputSize(64).WithHead(new HeadOptions { Pooling = pooling, HiddenSizes = new[] { 4 } }).Build();
        Assert.Equal(expected, model.FeatureSize);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 3, 64, 64);
        Assert.Equal(new long[] { 2, expected }, model.ExtractFeatures(x).shape);
        Assert.Equal(new long[] { 2, 2 }, model.call(x).shape);
    }

    [Fact]
    public void Build_SameSeed_GivesIdenticalHeads()
    {
        using var a = Valid().WithSeed(3).Build();
        using var b = Valid().WithSeed(3).Build();
        foreach (var (key, value) in a.state_dict())
        {
            Assert.True(value.equal(b.state_dict()[key]).all().item<bool>(), key);
        }
    }

    [Fact]
    public void Validate_ValidSettings_ReturnsSpecWithBackbonePreprocessingAtInputSize()
    {
        var spec = Valid().WithInputSize(96).Validate();
        Assert.Equal("mobilenet_v3_small", spec.Backbone);
        Assert.Equal(96, spec.InputSize);
        Assert.Equal(96, spec.Preprocessing.InputSize);
        Assert.Equal(110, spec.Preprocessing.ResizeSize);
    }
}
