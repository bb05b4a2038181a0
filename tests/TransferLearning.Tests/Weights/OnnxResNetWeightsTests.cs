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

    /// <summary>
    /// The package's own preprocessing (ResNetPreprocess.onnx: RGB -> BGR minus a 224x224 mean image) against
    /// <see cref="ImagePreprocessing.CntkResNet"/> (BGR minus that image's three channel means) on colour inputs.
    /// </summary>
    [Fact]
    public void CntkResNetPreprocessing_AgainstPackageMeanImage_FeaturesAgree()
    {
        var source = OnnxResNetWeights.Locate();
        string prepPath = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(source.Path)!)!, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        Assert.True(File.Exists(prepPath), prepPath);
        using var backbone = BackboneModule.Create(BackboneCatalog.ResNet18Cntk);
        source.LoadInto(backbone);
        backbone.eval();
        using var prepSession = new InferenceSession(prepPath);
        using var netSession = new InferenceSession(source.Path);
        var prep = ImagePreprocessing.CntkResNet;
        const int plane = 224 * 224;
        var generator = new Random(99);
        double worstCosine = 1, worstDiff = 0;
        for (int n = 0; n < 2; n++)
        {
            // A smooth colour image (red gradient, green blobs, blue noise): RGB planar 0..255.
            var rgb = new float[3 * plane];
            for (int y = 0; y < 224; y++)
            {
                for (int x = 0; x < 224; x++)
                {
                    int i = y * 224 + x;
                    rgb[i] = (x + 30 * n) % 256;
                    rgb[plane + i] = (float)(127.5 + 127.5 * Math.Sin((x + y * (n + 1)) / 17.0));
                    rgb[2 * plane + i] = generator.Next(256);
                }
            }

            var prepInput = new DenseTensor<float>(new Memory<float>(rgb), new ReadOnlySpan<int>(new[] { 1, 3, 224, 224 }));
            using var prepped = prepSession.Run(new[] { NamedOnnxValue.CreateFromTensor(prepSession.InputMetadata.Keys.Single(), prepInput) });
            var bgrMinusImage = prepped.Single().AsEnumerable<float>().ToArray();
            var netInput = new DenseTensor<float>(new Memory<float>(bgrMinusImage), new ReadOnlySpan<int>(new[] { 1, 3, 224, 224 }));
            using var results = netSession.Run(new[] { NamedOnnxValue.CreateFromTensor(netSession.InputMetadata.Keys.Single(), netInput) });
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var reference = tensor(results.Single().AsEnumerable<float>().ToArray());

            var ours = new float[3 * plane];
            for (int i = 0; i < plane; i++)
            {
                ours[i] = rgb[2 * plane + i] - prep.Mean[0];
                ours[plane + i] = rgb[plane + i] - prep.Mean[1];
                ours[2 * plane + i] = rgb[i] - prep.Mean[2];
            }

            var features = backbone.call(tensor(ours, new long[] { 1, 3, 224, 224 })).mean(new long[] { 2, 3 }).flatten();
            double cosine = nn.functional.cosine_similarity(features.unsqueeze(0), reference.unsqueeze(0)).item<float>();
            worstCosine = Math.Min(worstCosine, cosine);
            worstDiff = Math.Max(worstDiff, (features - reference).abs().max().item<float>());
        }

        output.WriteLine($"channel means vs mean image: worst cosine {worstCosine:F5}, max abs difference {worstDiff:G3}");
        Assert.True(worstCosine > 0.99, $"cosine {worstCosine:F5}");
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
    public void CandidatePaths_CacheFolder_AppFolderThenCacheThenNuGet()
    {
        string cache = Path.Combine(Path.GetTempPath(), "tl-weights-" + Guid.NewGuid().ToString("N"));
        var paths = OnnxResNetWeights.CandidatePaths(cache);
        Assert.Equal(3, paths.Count);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), paths[0]);
        Assert.Equal(Path.Combine(cache, "ResNet18.onnx"), paths[1]);
        Assert.EndsWith(Path.Combine("microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), paths[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Locate_NowhereToBeFound_ThrowsNamingFilePackageAndPlaces()
    {
        string missing = Path.Combine(Path.GetTempPath(), "tl-weights-" + Guid.NewGuid().ToString("N"), "ResNet18.onnx");
        var error = Assert.Throws<WeightsNotFoundException>(() => OnnxResNetWeights.Locate(new[] { missing }));
        Assert.Equal("ResNet18.onnx", error.FileName);
        Assert.Contains("Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1", error.Message, StringComparison.Ordinal);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { missing }, error.SearchedPaths);
    }
}
