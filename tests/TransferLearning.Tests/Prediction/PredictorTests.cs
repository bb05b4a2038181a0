using SkiaSharp;
using TorchSharp;
using TransferLearning.Persistence;
using TransferLearning.Prediction;
using TransferLearning.Tests.Persistence;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Prediction;

public sealed class PredictorTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tl-predict-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static byte[] MakePng(int seed, int width = 48, int height = 40)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            using var paint = new SKPaint { Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), IsAntialias = true };
            canvas.DrawCircle(random.Next(width), random.Next(height), 6 + random.Next(12), paint);
            paint.Color = new SKColor((byte)random.Next(256), 40, (byte)random.Next(256));
            canvas.DrawRect(random.Next(width / 2), random.Next(height / 2), 10, 14, paint);
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public void Predict_PathStreamBytesAndBitmap_GiveSameTopKWithNamesAndProbabilities()
    {
        using var model = TestModels.TinyResNet(classes: 4);
        using var predictor = new Predictor(model, new PredictorOptions { TopK = 3 });
        byte[] png = MakePng(1);
        string path = Path.Combine(folder, "a.png");
        File.WriteAllBytes(path, png);

        var fromPath = predictor.Predict(path);
        var fromStream = predictor.Predict(new MemoryStream(png));
        var fromBytes = predictor.Predict(png);
        using var bitmap = SKBitmap.Decode(png);
        var fromBitmap = predictor.Predict(bitmap);

        foreach (var other in new[] { fromStream, fromBytes, fromBitmap })
        {
            Assert.Equal(fromPath.Probabilities, other.Probabilities);
        }

        Assert.Equal(3, fromPath.Top.Count);
        Assert.Equal(1.0, fromPath.Probabilities.Sum(), 4);
        Assert.True(fromPath.Top[0].Probability >= fromPath.Top[1].Probability && fromPath.Top[1].Probability >= fromPath.Top[2].Probability);
        Assert.Equal(fromPath.Probabilities.Max(), fromPath.Confidence);
        Assert.Equal(model.ClassNames[fromPath.Best.ClassIndex], fromPath.ClassName);
    }

    [Fact]
    public void PredictBatch_Paths_MatchesSinglePredictions()
    {
        using var model = TestModels.TinyResNet(classes: 3);
        using var predictor = new Predictor(model, new PredictorOptions { BatchSize = 2 });
        var paths = Enumerable.Range(0, 5).Select(i =>
        {
            string p = Path.Combine(folder, $"{i}.png");
            File.WriteAllBytes(p, MakePng(10 + i, 30 + (i * 7), 50 - (i * 3)));
            return p;
        }).ToArray();

        var batch = predictor.PredictBatch(paths);
        Assert.Equal(5, batch.Count);
        for (int i = 0; i < paths.Length; i++)
        {
            var single = predictor.Predict(paths[i]);
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(single.Probabilities[c], batch[i].Probabilities[c], 5);
            }
        }
    }

    [Fact]
    public void Probabilities_WithFlipAugmentation_AveragesImageAndMirror()
    {
        using var model = TestModels.TinyResNet(classes: 3);
        using var plain = new Predictor(model);
        using var tta = new Predictor(model, new PredictorOptions { FlipTestTimeAugmentation = true });
        using var images = TestModels.RandomImages(2, 32, 4);

        using var expected = (plain.Probabilities(images) + plain.Probabilities(images.flip(3))) / 2;
        using var actual = tta.Probabilities(images);
        using var plainResult = plain.Probabilities(images);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-6));
        Assert.False(actual.allclose(plainResult, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Predict_ConcurrentThreads_EqualSequentialResults()
    {
        using var model = TestModels.TinyResNet(classes: 3);
        using var predictor = new Predictor(model, new PredictorOptions { FlipTestTimeAugmentation = true });
        var images = Enumerable.Range(0, 12).Select(i => MakePng(100 + i)).ToArray();
        var sequential = images.Select(b => predictor.Predict(b).Probabilities.ToArray()).ToArray();

        var concurrent = new float[images.Length][];
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int round = 0; round < 3; round++)
            {
                for (int i = t; i < images.Length; i += 4)
                {
                    concurrent[i] = predictor.Predict(images[i]).Probabilities.ToArray();
                }
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        for (int i = 0; i < images.Length; i++)
        {
            Assert.Equal(sequential[i], concurrent[i]);
        }
    }

    [Fact]
    public void EvaluateFolder_GeneratedClassesWithBadFile_CountsConfusionAndReportsSkip()
    {
        using var model = TestModels.TinyResNet(classes: 3);
        using var predictor = new Predictor(model, new PredictorOptions { BatchSize = 4 });
        var truth = new List<(string Path, string Label)>();
        foreach (var label in new[] { "0", "2" })
        {
            Directory.CreateDirectory(Path.Combine(folder, label));
            for (int i = 0; i < 3; i++)
            {
                string p = Path.Combine(folder, label, $"{i}.png");
                File.WriteAllBytes(p, MakePng((label == "0" ? 200 : 300) + i));
                truth.Add((p, label));
            }
        }

        File.WriteAllText(Path.Combine(folder, "2", "broken.png"), "not an image");

        var result = predictor.EvaluateFolder(folder);

        Assert.Equal(6, result.SampleCount);
        Assert.Single(result.Skipped);
        Assert.EndsWith("broken.png", result.Skipped[0].Path);
        Assert.Equal(6, result.ConfusionMatrix.Sum(r => r.Sum()));
        Assert.Equal(0, result.ConfusionMatrix[1].Sum());
        Assert.True(double.IsNaN(result.Recall[1]));
        int correct = truth.Count(t => predictor.Predict(t.Path).ClassName == t.Label);
        Assert.Equal(correct / 6.0, result.Accuracy, 10);
        double loss = truth.Average(t => -Math.Log(predictor.Predict(t.Path).Probabilities[int.Parse(t.Label)]));
        Assert.Equal(loss, result.Loss, 4);
    }

    [Fact]
    public void EvaluateFolder_FolderThatIsNoClass_ThrowsArgumentException()
    {
        using var model = TestModels.TinyResNet(classes: 3);
        using var predictor = new Predictor(model);
        Directory.CreateDirectory(Path.Combine(folder, "zebra"));
        var ex = Assert.Throws<ArgumentException>(() => predictor.EvaluateFolder(folder));
        Assert.Contains("zebra", ex.Message);
    }

    [Fact]
    public void Predict_UndecodableBytes_ThrowsImageDecodeException()
    {
        using var model = TestModels.TinyResNet(classes: 3);
        using var predictor = new Predictor(model);
        Assert.Throws<TransferLearning.Data.ImageDecodeException>(() => predictor.Predict(new byte[] { 1, 2, 3, 4 }));
    }

    [Fact]
    public void FromFile_SavedModel_PredictsExactlyLikeOriginal()
    {
        using var model = TestModels.TinyResNet(classes: 3);
        string path = Path.Combine(folder, "m.tlm");
        TransferModelFile.Save(model, path);
        using var original = new Predictor(model);
        using var loaded = Predictor.FromFile(path);
        byte[] png = MakePng(7);
        Assert.Equal(original.Predict(png).Probabilities, loaded.Predict(png).Probabilities);
        Assert.Equal(model.ClassNames, loaded.ClassNames);
    }
}
