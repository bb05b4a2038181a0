using SkiaSharp;
using TransferLearning.Data;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Data;

public sealed class DataLoaderTests : IDisposable
{
    private static readonly ImagePreprocessing Small = ImagePreprocessing.Torch.WithInputSize(16);
    private readonly TestImages images = new();

    public DataLoaderTests()
    {
        // Two classes of 9 and 8 small images.
        for (var i = 0; i < 17; i++)
        {
            using var b = TestImages.Pattern(24 + (i % 5), 20 + (i % 3), i);
            var bytes = i % 2 == 0 ? TestImages.Png(b) : TestImages.Jpeg(b);
            images.Write($"data/{(i < 9 ? "a" : "b")}/img{i:D2}.{(i % 2 == 0 ? "png" : "jpg")}", bytes);
        }
    }

    public void Dispose() => images.Dispose();

    private ImageDataset Dataset() => ImageDataset.FromFolder(Path.Combine(images.Root, "data"));

    private static List<(int[] Indices, float[] Images, long[] Labels)> Collect(IBatchSource loader, int epoch)
    {
        var result = new List<(int[], float[], long[])>();
        foreach (var batch in loader.GetBatches(epoch))
        {
            using (batch)
            {
                Assert.Equal(ScalarType.Float32, batch.Images.dtype);
                Assert.Equal(ScalarType.Int64, batch.Labels.dtype);
                Assert.Equal(new long[] { batch.Count, 3, 16, 16 }, batch.Images.shape);
                result.Add((batch.Indices.ToArray(), batch.Images.data<float>().ToArray(), batch.Labels.data<long>().ToArray()));
            }
        }

        return result;
    }

    [Fact]
    public void GetBatches_Evaluation_YieldsEverySampleOnceWithItsLabelAndPixels()
    {
        var dataset = Dataset();
        var transform = ImageTransform.ForEvaluation(Small);
        var loader = new DataLoader(dataset, transform, new DataLoaderOptions { BatchSize = 5, Shuffle = false, Workers = 2 });

        var batches = Collect(loader, 0);

        Assert.Equal(4, loader.BatchesPerEpoch);
        Assert.Equal(new[] { 5, 5, 5, 2 }, batches.Select(b => b.Indices.Length));
        Assert.Equal(Enumerable.Range(0, 17), batches.SelectMany(b => b.Indices));
        Assert.Equal(dataset.Samples.Select(s => (long)s.Label), batches.SelectMany(b => b.Labels));
        Assert.True(loader.IsDeterministic);

        // The batch holds exactly what the transform makes of the decoded file.
        using var bitmap = ImageDecoder.Decode(dataset.Samples[7].Path, transform.DecodeOptions);
        var expected = new float[transform.ValuesPerImage];
        transform.Apply(bitmap, null, expected);
        Assert.Equal(expected, batches[1].Images.AsSpan(2 * transform.ValuesPerImage, transform.ValuesPerImage).ToArray());
    }

    [Fact]
    public void GetBatches_DropLast_DropsPartialBatch()
    {
        var loader = new DataLoader(Dataset(), ImageTransform.ForEvaluation(Small), new DataLoaderOptions { BatchSize = 5, DropLast = true, Workers = 1 });

        var batches = Collect(loader, 0);

        Assert.Equal(3, loader.BatchesPerEpoch);
        Assert.Equal(3, batches.Count);
        Assert.All(batches, b => Assert.Equal(5, b.Indices.Length));
    }

    [Fact]
    public void GetBatches_SameSeed_SameOrderAndAugmentationsForAnyWorkerCount()
    {
        var transform = ImageTransform.ForTraining(Small);
        var runs = new[] { 0, 1, 3 }.Select(workers =>
            Collect(new DataLoader(Dataset(), transform, new DataLoaderOptions { BatchSize = 4, Seed = 42, Workers = workers, PrefetchBatches = 1 }), 1)).ToArray();

        foreach (var run in runs.Skip(1))
        {
            Assert.Equal(runs[0].Count, run.Count);
            for (var b = 0; b < run.Count; b++)
            {
                Assert.Equal(runs[0][b].Indices, run[b].Indices);
                Assert.Equal(runs[0][b].Labels, run[b].Labels);
                Assert.Equal(runs[0][b].Images, run[b].Images);
            }
        }
    }

    [Fact]
    public void GetBatches_DifferentSeedOrEpoch_DifferentOrderAndAugmentations()
    {
        var transform = ImageTransform.ForTraining(Small);
        DataLoader Loader(int seed) => new(Dataset(), transform, new DataLoaderOptions { BatchSize = 17, Seed = seed, Workers = 2 });

        var seed1 = Collect(Loader(1), 0).Single();
        var seed2 = Collect(Loader(2), 0).Single();
        var seed1Epoch1 = Collect(Loader(1), 1).Single();

        Assert.NotEqual(seed1.Indices, seed2.Indices);
        Assert.NotEqual(seed1.Indices, seed1Epoch1.Indices);
        Assert.Equal(Enumerable.Range(0, 17), seed1.Indices.Order());

        // Same sample, different seed: different augmentation.
        var per = transform.ValuesPerImage;
        float[] ImageOf((int[] Indices, float[] Images, long[] Labels) batch, int sample) =>
            batch.Images.AsSpan(Array.IndexOf(batch.Indices, sample) * per, per).ToArray();
        Assert.NotEqual(ImageOf(seed1, 3), ImageOf(seed2, 3));
        Assert.NotEqual(ImageOf(seed1, 3), ImageOf(seed1Epoch1, 3));
        Assert.False(Loader(1).IsDeterministic);
    }

    [Fact]
    public void GetBatches_BadFilesWithSkip_AreLeftOutCountedAndReportedOnce()
    {
        var kinds = new[] { "empty", "text", "html", "tiff", "heic", "truncated-jpeg", "truncated-png", "too-large" };
        foreach (var kind in kinds)
        {
            ImageDecoderTests.MakeBadFile(images, kind, "data/b");
        }

        var dataset = Dataset();
        // A file that disappears after listing (unreadable).
        var vanishing = images.Write("data/a/vanishing.png", File.ReadAllBytes(dataset.Samples[0].Path));
        dataset = Dataset();
        File.Delete(vanishing);
        var logger = new ListLogger();
        var loader = new DataLoader(dataset, ImageTransform.ForEvaluation(Small), new DataLoaderOptions { BatchSize = 6, Workers = 2 }, logger);

        var epoch0 = Collect(loader, 0);
        var epoch1 = Collect(loader, 1);

        Assert.Equal(17 + kinds.Length + 1, dataset.Count);
        Assert.Equal(17, epoch0.Sum(b => b.Indices.Length));
        Assert.Equal(17, epoch1.Sum(b => b.Indices.Length));
        Assert.Equal(kinds.Length + 1, loader.Report.Count);
        Assert.Equal(kinds.Length + 1, logger.Warnings);
        var reasons = loader.Report.CountsByReason;
        Assert.Equal(1, reasons[BadFileReason.Empty]);
        Assert.Equal(2, reasons[BadFileReason.NotAnImage]);
        Assert.Equal(2, reasons[BadFileReason.Unsupported]);
        Assert.Equal(2, reasons[BadFileReason.Truncated]);
        Assert.Equal(1, reasons[BadFileReason.TooLarge]);
        Assert.Equal(1, reasons[BadFileReason.Unreadable]);
        Assert.Contains(loader.Report.Entries, e => e.Path == vanishing && e.Reason == BadFileReason.Unreadable);
        Assert.Contains("9 file(s) skipped", loader.Report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void GetBatches_BadFileWithThrow_ThrowsDecodeException()
    {
        ImageDecoderTests.MakeBadFile(images, "text", "data/a");
        var loader = new DataLoader(Dataset(), ImageTransform.ForEvaluation(Small), new DataLoaderOptions { BatchSize = 4, Workers = 2, BadFilePolicy = BadFilePolicy.Throw });

        var e = Assert.Throws<ImageDecodeException>(() => Collect(loader, 0));

        Assert.Equal(BadFileReason.NotAnImage, e.Reason);
        Assert.Equal(1, loader.Report.Count);
    }

    [Fact]
    public void GetBatches_Cancelled_ThrowsOperationCanceled()
    {
        using var cts = new CancellationTokenSource();
        var loader = new DataLoader(Dataset(), ImageTransform.ForEvaluation(Small), new DataLoaderOptions { BatchSize = 2, Workers = 2 });

        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var batch in loader.GetBatches(0, cts.Token))
            {
                batch.Dispose();
                cts.Cancel();
            }
        });
    }

    [Fact]
    public void GetBatches_StoppedEarly_CanEnumerateAgain()
    {
        var loader = new DataLoader(Dataset(), ImageTransform.ForEvaluation(Small), new DataLoaderOptions { BatchSize = 2, Workers = 3, PrefetchBatches = 3 });

        using (var first = loader.GetBatches(0).First())
        {
            Assert.Equal(2, first.Count);
        }

        Assert.Equal(17, Collect(loader, 0).Sum(b => b.Indices.Length));
    }

    [Fact]
    public void Fingerprint_DependsOnDataAndTransformNotOnWorkers()
    {
        var dataset = Dataset();
        var eval = ImageTransform.ForEvaluation(Small);
        var a = new DataLoader(dataset, eval, new DataLoaderOptions { Workers = 1 }).Fingerprint;
        var b = new DataLoader(dataset, eval, new DataLoaderOptions { Workers = 3, Seed = 9 }).Fingerprint;
        var c = new DataLoader(dataset, ImageTransform.ForEvaluation(ImagePreprocessing.Caffe.WithInputSize(16)), null).Fingerprint;

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        var dataset = Dataset();
        var eval = ImageTransform.ForEvaluation(Small);

        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(dataset, eval, new DataLoaderOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(dataset, eval, new DataLoaderOptions { Workers = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(dataset, eval, new DataLoaderOptions { PrefetchBatches = 0 }));
        Assert.Throws<DatasetException>(() => new DataLoader(new ImageDataset(new[] { "a", "b" }, Array.Empty<ImageSample>()), eval));
    }

    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        private int warnings;

        public int Warnings => warnings;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning)
            {
                Interlocked.Increment(ref warnings);
            }
        }
    }
}
