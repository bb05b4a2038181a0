using TorchSharp;
using TransferLearning.Heads;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Persistence;

/// <summary>Small models for persistence, prediction and export tests.</summary>
internal static class TestModels
{
    /// <summary>ResNet18 cut after layer1 with a linear head: a real model file of about 0.6 MB.</summary>
    public static TransferModel TinyResNet(int classes = 3, long seed = 1) =>
        new TransferModelBuilder()
            .WithBackbone("resnet18")
            .TruncateAfter("layer1")
            .WithHead(new HeadOptions { HiddenSizes = new[] { 16 }, Dropout = 0.1 })
            .WithClassCount(classes)
            .WithInputSize(32)
            .WithSeed(seed)
            .Build()
            .WithRandomBatchNormStatistics(seed);

    /// <summary>Gives every BatchNorm non-trivial running statistics and affine parameters, so BN is really exercised.</summary>
    public static TransferModel WithRandomBatchNormStatistics(this TransferModel model, long seed)
    {
        var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var module in model.modules())
        {
            switch (module)
            {
                case TorchSharp.Modules.BatchNorm1d bn1:
                    Randomize(bn1.running_mean!, bn1.running_var!, bn1.weight, bn1.bias, generator);
                    break;
                case TorchSharp.Modules.BatchNorm2d bn2:
                    Randomize(bn2.running_mean!, bn2.running_var!, bn2.weight, bn2.bias, generator);
                    break;
            }
        }

        return model;
    }

    private static void Randomize(Tensor mean, Tensor var, Tensor? weight, Tensor? bias, Generator generator)
    {
        long n = mean.shape[0];
        mean.copy_(randn(n, generator: generator) * 0.2);
        var.copy_(rand(n, generator: generator) + 0.5);
        weight?.copy_(randn(n, generator: generator) * 0.2 + 1.0);
        bias?.copy_(randn(n, generator: generator) * 0.1);
    }

    public static Tensor RandomImages(int count, int size, long seed)
    {
        var generator = new Generator((ulong)seed);
        return randn(new long[] { count, 3, size, size }, generator: generator);
    }

    /// <summary>Same shape and bitwise equal values.</summary>
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    public static void AssertSameState(TransferModel expected, TransferModel actual)
    {
        var a = expected.state_dict();
        var b = actual.state_dict();
        Assert.Equal(a.Keys.OrderBy(k => k, StringComparer.Ordinal), b.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (name, tensor) in a)
        {
            Assert.True(TestModels.Same(tensor, b[name]), $"Tensor {name} differs.");
        }
    }
}
