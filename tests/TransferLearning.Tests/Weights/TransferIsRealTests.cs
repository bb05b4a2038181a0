using Xunit.Abstractions;
using TransferLearning.Backbones;
using TransferLearning.Weights;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TransferLearning.Tests.Weights;

/// <summary>
/// Real photographs (crops of scikit-image's brick/grass/gravel photos): a linear classifier on frozen ImageNet
/// ResNet18 features must beat the same classifier on the same architecture with random weights.
/// </summary>
public class TransferIsRealTests(ITestOutputHelper output)
{
    internal static (Tensor Features, long[] Labels, int[] Index) ExtractFeatures(IWeightsSource weights, int size, long seed)
    {
        random.manual_seed(seed);
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18Cntk);
        weights.LoadInto(backbone);
        backbone.eval();
        var prep = BackboneCatalog.ResNet18Cntk.Preprocessing;
        var images = new List<Tensor>();
        var labels = new List<long>();
        var index = new List<int>();
        for (int c = 0; c < TestImages.Classes.Length; c++)
        {
            var files = TestImages.Files(TestImages.Classes[c]);
            for (int i = 0; i < files.Length; i++)
            {
                images.Add(TestImages.Load(files[i], prep, size));
                labels.Add(c);
                index.Add(i);
            }
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batch = stack(images);
        foreach (var image in images)
        {
            image.Dispose();
        }

        var features = backbone.call(batch).mean(new long[] { 2, 3 });
        return (features.MoveToOuterDisposeScope(), labels.ToArray(), index.ToArray());
    }

    /// <summary>Multinomial logistic regression on standardised features (full batch Adam, fixed steps); returns held-out accuracy.</summary>
    internal static double LinearProbeAccuracy(Tensor features, long[] labels, int[] index, int trainPerClass, long seed)
    {
        using var scope = NewDisposeScope();
        var trainMask = index.Select(i => i < trainPerClass).ToArray();
        var trainIdx = tensor(Enumerable.Range(0, labels.Length).Where(i => trainMask[i]).Select(i => (long)i).ToArray());
        var testIdx = tensor(Enumerable.Range(0, labels.Length).Where(i => !trainMask[i]).Select(i => (long)i).ToArray());
        var y = tensor(labels);
        var xTrain = features.index_select(0, trainIdx);
        var xTest = features.index_select(0, testIdx);
        var mean = xTrain.mean(new long[] { 0 }, keepdim: true);
        var std = xTrain.std(0, keepdim: true) + 1e-6f;
        xTrain = (xTrain - mean) / std;
        xTest = (xTest - mean) / std;
        var yTrain = y.index_select(0, trainIdx);
        var yTest = y.index_select(0, testIdx);

        random.manual_seed(seed);
        var classes = TestImages.Classes.Length;
        using var linear = nn.Linear(features.shape[1], classes);
        var optimizer = optim.Adam(linear.parameters(), lr: 0.01, weight_decay: 1e-3);
        for (int step = 0; step < 200; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(linear.call(xTrain), yTrain);
            loss.backward();
            optimizer.step();
        }

        using var noGrad = no_grad();
        var predicted = linear.call(xTest).argmax(1);
        return predicted.eq(yTest).to_type(ScalarType.Float32).mean().item<float>();
    }

    /// <remarks>
    /// Measured (64 px crops, 4 training images per class, 96 held out, random seeds 1-3): ImageNet 0.990-1.000, random
    /// weights 0.677-0.708 (margin >= 0.28). With 24 per class at 64 px: 0.972-1.000 against 0.806-0.889. Asserted with slack.
    /// </remarks>
    [Fact]
    public void LinearProbe_ImageNetVsRandomWeights_ImageNetClearlyMoreAccurate()
    {
        const int size = 64;
        const int trainPerClass = 4;
        var (imagenetFeatures, labels, index) = ExtractFeatures(OnnxResNetWeights.Locate(), size, seed: 1);
        using var fi = imagenetFeatures;
        foreach (long seed in new long[] { 1, 2 })
        {
            var (randomFeatures, _, _) = ExtractFeatures(RandomWeights.Instance, size, seed);
            using var fr = randomFeatures;
            double imagenet = LinearProbeAccuracy(fi, labels, index, trainPerClass, seed);
            double baseline = LinearProbeAccuracy(fr, labels, index, trainPerClass, seed);
            output.WriteLine($"seed {seed}: held-out accuracy imagenet {imagenet:F3}, random weights {baseline:F3}");
            Assert.True(imagenet >= 0.90, $"ImageNet features: held-out accuracy {imagenet:F3} < 0.90");
            Assert.True(imagenet - baseline >= 0.15, $"ImageNet {imagenet:F3} vs random {baseline:F3}: margin below 0.15");
        }
    }
}
