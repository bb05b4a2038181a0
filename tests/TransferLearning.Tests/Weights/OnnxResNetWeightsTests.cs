using Xunit.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TransferLearning.Backbones;
using TransferLearning.Data;
using TransferLearning.Weights;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TransferLearning.Tests.Weights;

public class OnnxResNetWeightsTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Fact]
    public void Locate_TestOutput_FindsPackageFileInAppFolder()
    {
        var source = OnnxResNetWeights.Locate();
        Assert.True(File.Exists(source.Path));
        Assert.Equal(63_653_533, new FileInfo(source.Path).Length);
    }

    [Fact]
    public void LoadInto_ResNet18Cntk_FeaturesMatchOnnxRuntime()
    {
        var source = OnnxResNetWeights.Locate();
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18Cntk);
        source.LoadInto(backbone);
        backbone.eval();

        var prep = ImagePreprocessing.CntkResNet;
        var inputs = new List<Tensor>();
        var generator = new Random(1234);
        for (int i = 0; i < 2; i++)
        {
            // Random pixels 0..255 preprocessed like the package: BGR minus the channel means.
            var bgr = new float[3 * 224 * 224];
            for (int j = 0; j < bgr.Length; j++)
            {
                bgr[j] = generator.Next(256) - prep.Mean[j / (224 * 224)];
            }

            inputs.Add(tensor(bgr, new long[] { 3, 224, 224 }));
        }

        foreach (var cls in TestImages.Classes)
        {
            inputs.Add(TestImages.Load(TestImages.Files(cls)[0], prep, 224));
        }

        using var session = new InferenceSession(source.Path);
        string inputName = session.InputMetadata.Keys.Single();
        double worst = 0;
        foreach (var input in inputs)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var ours = backbone.call(input.unsqueeze(0)).mean(new long[] { 2, 3 }).flatten();
            var onnxInput = new DenseTensor<float>(new Memory<float>(input.data<float>().ToArray()), new ReadOnlySpan<int>(new[] { 1, 3, 224, 224 }));
            using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor(inputName, onnxInput) });
            var reference = results.Single().AsEnumerable<float>().ToArray();
            Assert.Equal(512, reference.Length);
            var ref512 = tensor(reference);
            double diff = (ours - ref512).abs().max().item<float>();
            worst = Math.Max(worst, diff);
            Assert.True(ref512.abs().max().item<float>() > 1, "reference features should not be trivial");
        }

        foreach (var input in inputs)
        {
            input.Dispose();
        }

        output.WriteLine($"max abs difference to ONNX Runtime over {inputs.Count} inputs: {worst:G3}");
        Assert.True(worst < Tolerance, $"max abs difference {worst:G3} >= {Tolerance}");
    }

    [Fact]
    public void LoadInto_StockResNet18_ThrowsNamingResnet18Cntk()
    {
        var source = OnnxResNetWeights.Locate();
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18);
        var error = Assert.Throws<InvalidDataException>(() => source.LoadInto(backbone));
        Assert.Contains("resnet18_cntk", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Locate_NowhereToBeFound_ThrowsNamingFileAndPackage()
    {
        string empty = Path.Combine(Path.GetTempPath(), "tl-weights-" + Guid.NewGuid().ToString("N"));
        var paths = OnnxResNetWeights.CandidatePaths(empty);
        Assert.Contains(paths, p => p.StartsWith(empty, StringComparison.Ordinal));
        Assert.Equal(3, paths.Count);
    }
}
