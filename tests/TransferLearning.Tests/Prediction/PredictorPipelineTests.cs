using SkiaSharp;
using TransferLearning.Data;
using TransferLearning.Metrics;
using TransferLearning.Prediction;
using TransferLearning.Tests.Data;
using TransferLearning.Tests.Persistence;

namespace TransferLearning.Tests.Prediction;

/// <summary>Prediction, folder evaluation and the evaluator see the same pixels; many files stream through the loader.</summary>
public sealed class PredictorPipelineTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tl-pipeline-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>A 640x600 photo-like JPEG: fine detail, so decoding reduced and decoding in full give different pixels.</summary>
    private static byte[] LargeJpeg(int seed)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(640, 600, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { IsAntialias = false, StrokeWidth = 1 };
            for (var i = 0; i < 4000; i++)
            {
                paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                var x = random.Next(640);
                var y = random.Next(600);
                canvas.DrawLine(x, y, x + random.Next(-9, 10), y + random.Next(-9, 10), paint);
            }
        }

        return TestImages.Jpeg(bitmap, 95);
    }

    [Fact]
    public void Predict_EvaluateFolderAndEvaluator_OnALargeJpeg_GiveTheSameProbabilities()
    {
        using var model = TestModels.TinyResNet(classes: 3);
        using var predictor = new Predictor(model);
        var label = 1;
        var path = Path.Combine(folder, model.ClassNames[label], "photo.jpg");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, LargeJpeg(5));

        var predicted = predictor.Predict(path).Probabilities;
        var predictedLoss = -Math.Log(predicted[label]);
        var folderLoss = predictor.EvaluateFolder(folder).Metrics.Loss;
        var dataset = new ImageDataset(model.ClassNames, new[] { new ImageSample(path, label) });
        var loader = new DataLoader(dataset, ImageTransform.ForEvaluation(model.Preprocessing), new DataLoaderOptions { Shuffle = false });
        var evaluatorLoss = Evaluator.Evaluate(model, loader).Loss;

        Assert.Equal(predictedLoss, folderLoss, 5);
        Assert.Equal(predictedLoss, evaluatorLoss, 5);

        // The test can tell the two decodings apart: a full-size decode feeds the model other pixels.
        using var full = ImageDecoder.Decode(path);
        var fromFull = predictor.Predict(full).Probabilities;
        Assert.True(Math.Abs(-Math.Log(fromFull[label]) - predictedLoss) > 1e-4, "full and reduced decoding should differ on this image");
    }

    [Fact]
    public void Predict_StreamAndBytes_UseTheSameDecodingAsPaths()
    {
        using var model = TestModels.TinyResNet(classes: 3);
        using var predictor = new Predictor(model);
        var jpeg = LargeJpeg(6);
        var path = Path.Combine(folder, "photo.jpg");
        File.WriteAllBytes(path, jpeg);

        var fromPath = predictor.Predict(path).Probabilities;

        Assert.Equal(fromPath, predictor.Predict(jpeg).Probabilities);
        Assert.Equal(fromPath, predictor.Predict(new MemoryStream(jpeg)).Probabilities);
        Assert.Equal(fromPath, predictor.PredictFiles(new[] { path }).Single().Prediction!.Probabilities);
    }

    [Fact]
    public void PredictFiles_MixedGoodAndHostileFiles_KeepsOrderClassifiesTheGoodOnesAndGivesReasons()
    {
        using var model = TestModels.TinyResNet(classes: 3);
        using var predictor = new Predictor(model, new PredictorOptions { BatchSize = 2 });
        var paths = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var bitmap = TestImages.Pattern(40, 30, i);
            var p = Path.Combine(folder, $"good{i}.png");
            File.WriteAllBytes(p, TestImages.Png(bitmap));
            paths.Add(p);
        }

        var text = Path.Combine(folder, "text.jpg");
        File.WriteAllText(text, "hello");
        paths.Insert(0, text);
        string? fifo = null;
        if (!OperatingSystem.IsWindows())
        {
            fifo = Path.Combine(folder, "x.png");
            HostileFilesTests.MakeFifo(fifo);
            var zero = Path.Combine(folder, "zero.jpg");
            File.CreateSymbolicLink(zero, "/dev/zero");
            paths.Insert(3, fifo);
            paths.Add(zero);
        }

        var results = HostileFilesTests.WithTimeout(
            () => predictor.PredictFiles(paths, groupSize: 3).ToList(),
            unblock: () => HostileFilesTests.ReleaseFifo(fifo!));

        Assert.Equal(paths, results.Select(r => r.Path));
        Assert.Equal(5, results.Count(r => r.Prediction is not null));
        Assert.All(results.Where(r => r.Prediction is null), r => Assert.NotNull(r.Error));
        Assert.Equal(BadFileReason.NotAnImage, results[0].Error!.Reason);
        foreach (var r in results.Where(r => r.Prediction is not null))
        {
            var single = predictor.Predict(r.Path).Probabilities;
            Assert.All(single.Zip(r.Prediction!.Probabilities), p => Assert.Equal(p.First, p.Second, 5));
        }

        if (fifo is not null)
        {
            Assert.Equal(BadFileReason.NotARegularFile, results[3].Error!.Reason);
            Assert.Equal(BadFileReason.NotARegularFile, results[^1].Error!.Reason);
        }
    }
}
