using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using TransferLearning.Export;
using TransferLearning.Heads;
using TransferLearning.Tests.Persistence;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Export;

public sealed class OnnxExporterTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Cases => new()
    {
        { "resnet18", "average" },
        { "resnet18_cntk", "fastai" },
        { "mobilenet_v2", "max-gelu" },
        { "mobilenet_v3_small", "average-silu" },
        { "vgg16", "average" },
        { "vgg16_bn", "average" },
        { "mobilenet_v3_large", "fastai" },
        { "keras_mobilenet", "average" },
        { "keras_mobilenet_v2", "fastai" },
        { "keras_resnet50", "average" },
    };

    private static HeadOptions Head(string kind) => kind switch
    {
        "fastai" => HeadOptions.FastAi with { HiddenSizes = new[] { 32 } },
        "max-gelu" => new HeadOptions { Pooling = PoolingKind.Max, HiddenSizes = new[] { 24 }, Activation = HeadActivation.GELU, InputNormalization = InputNormalization.BatchNorm },
        "average-silu" => new HeadOptions { HiddenSizes = new[] { 24, 12 }, Activation = HeadActivation.SiLU, BatchNorm = true },
        _ => new HeadOptions { HiddenSizes = new[] { 32 } },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExportToBytes_CatalogueBackbone_OnnxRuntimeLogitsMatchTorchSharpForBatch1And3(string backbone, string head)
    {
        using var model = new TransferModelBuilder().WithWeights(TransferLearning.Weights.RandomWeights.Instance)
            .WithBackbone(backbone)
            .WithHead(Head(head))
            .WithClassCount(5)
            .WithInputSize(64)
            .WithSeed(11)
            .Build()
            .WithRandomBatchNormStatistics(12);

        byte[] onnx = OnnxExporter.ExportToBytes(model);
        output.WriteLine($"{backbone}: {model.state_dict().Count} state-dict tensors, first keys {string.Join(", ", model.state_dict().Keys.Take(3))}");
        using var session = new InferenceSession(onnx);
        foreach (int batch in new[] { 1, 3 })
        {
            double diff = MaxDifference(model, session, batch, seed: 20 + batch, "logits", out double scale);
            output.WriteLine($"{backbone} {head} batch {batch}: max |onnx - torch| = {diff:E2}, max |logit| = {scale:E2}");
            Assert.True(diff <= 1e-4, $"{backbone} batch {batch}: max abs difference {diff}");
            Assert.True(diff <= 1e-4 * scale, $"{backbone} batch {batch}: difference {diff} is large relative to the logits ({scale})");
        }
    }

    // Odd input sizes make Keras' asymmetric ("same" / ZeroPadding2D) stride-2 padding differ from symmetric padding.
    [Theory]
    [InlineData("keras_mobilenet", null, 77)]
    [InlineData("keras_mobilenet_v2", null, 77)]
    [InlineData("keras_mobilenet_v2", "block_12_add", 45)]
    [InlineData("keras_resnet50", "conv4_block2_out", 45)]
    [InlineData("keras_mobilenet", "conv_pw_6_relu", 45)]
    public void ExportToBytes_KerasBackboneOddInput_OnnxRuntimeMatchesTorchSharp(string backbone, string? truncate, int size)
    {
        using var model = new TransferModelBuilder().WithWeights(TransferLearning.Weights.RandomWeights.Instance)
            .WithBackbone(backbone)
            .TruncateAfter(truncate)
            .WithHead(new HeadOptions { HiddenSizes = new[] { 16 } })
            .WithClassCount(4)
            .WithInputSize(size)
            .WithSeed(3)
            .Build()
            .WithRandomBatchNormStatistics(4);

        using var session = new InferenceSession(OnnxExporter.ExportToBytes(model));
        double diff = MaxDifference(model, session, 2, seed: 9, "logits", out double scale);
        output.WriteLine($"{backbone} {truncate} {size}px: max |onnx - torch| = {diff:E2}, max |logit| = {scale:E2}");
        Assert.True(diff <= 1e-4 && diff <= 1e-4 * Math.Max(scale, 1), $"max abs difference {diff} (logit scale {scale})");
    }

    [Fact]
    public void ExportToBytes_TruncatedResNetFlattenHeadWithSoftmax_MatchesTorchSharpProbabilities()
    {
        using var model = new TransferModelBuilder().WithWeights(TransferLearning.Weights.RandomWeights.Instance)
            .WithBackbone("resnet50")
            .TruncateAfter("layer1")
            .WithHead(new HeadOptions { Pooling = PoolingKind.Flatten, HiddenSizes = new[] { 16 }, Activation = HeadActivation.LeakyReLU })
            .WithClassCount(3)
            .WithInputSize(32)
            .WithSeed(5)
            .Build()
            .WithRandomBatchNormStatistics(6);

        using var session = new InferenceSession(OnnxExporter.ExportToBytes(model, new OnnxExportOptions { IncludeSoftmax = true }));
        Assert.Equal("probabilities", session.OutputNames.Single());
        double diff = MaxDifference(model, session, 2, seed: 7, "probabilities", out _, softmax: true);
        Assert.True(diff <= 1e-5, $"max abs difference {diff}");
        Assert.Contains("class_names", session.ModelMetadata.CustomMetadataMap.Keys);
    }

    [Fact]
    public void Export_ToFile_WritesLoadableModelAndNoTempFile()
    {
        using var model = TestModels.TinyResNet();
        string folder = Directory.CreateTempSubdirectory("tl-onnx-").FullName;
        try
        {
            string path = Path.Combine(folder, "model.onnx");
            OnnxExporter.Export(model, path);
            Assert.Equal(new[] { path }, Directory.GetFiles(folder));
            using var session = new InferenceSession(path);
            Assert.True(MaxDifference(model, session, 1, 3, "logits", out _) <= 1e-5);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Emit_UnknownModuleType_ThrowsNotSupportedExceptionNamingIt()
    {
        using var module = nn.Sequential(("0", nn.Conv2d(3, 4, 3)), ("1", nn.PixelShuffle(2)));
        var writer = new OnnxGraphWriter();
        var ex = Assert.Throws<NotSupportedException>(() => writer.Emit(module, "input", ""));
        Assert.Contains("PixelShuffle", ex.Message);
        Assert.Contains("'1'", ex.Message);
    }

    private static double MaxDifference(TransferModel model, InferenceSession session, int batch, int seed, string outputName, out double scale, bool softmax = false)
    {
        using var scope = NewDisposeScope();
        var images = TestModels.RandomImages(batch, model.InputSize, seed);
        Tensor expected;
        using (no_grad())
        {
            expected = model.call(images);
            if (softmax)
            {
                expected = nn.functional.softmax(expected, 1);
            }
        }

        float[] data = images.data<float>().ToArray();
        using var input = OrtValue.CreateTensorValueFromMemory(data, images.shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, new[] { "input" }, new[] { input }, new[] { outputName });
        float[] actual = results[0].GetTensorDataAsSpan<float>().ToArray();
        float[] reference = expected.data<float>().ToArray();
        Assert.Equal(reference.Length, actual.Length);
        Assert.Equal(new long[] { batch, model.ClassCount }, results[0].GetTensorTypeAndShape().Shape);
        scale = reference.Max(v => Math.Abs((double)v));
        return reference.Zip(actual, (a, b) => Math.Abs((double)a - b)).Max();
    }
}
