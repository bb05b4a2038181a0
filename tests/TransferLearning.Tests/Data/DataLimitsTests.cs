using TransferLearning.Data;

namespace TransferLearning.Tests.Data;

/// <summary>Huge batch and input sizes, special files in a loader, and the up-front readability check.</summary>
public sealed class DataLimitsTests : IDisposable
{
    private static readonly ImagePreprocessing Small = ImagePreprocessing.Torch.WithInputSize(16);
    private readonly TestImages images = new();

    public void Dispose() => images.Dispose();

    private ImageDataset Dataset(int perClass, params string[] extraA)
    {
        using var bitmap = TestImages.Pattern(24, 20, 4);
        var png = TestImages.Png(bitmap);
        var samples = new List<ImageSample>();
        for (var c = 0; c < 2; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                samples.Add(new ImageSample(images.Write($"{c}/{i}.png", png), c));
            }
        }

        samples.AddRange(extraA.Select(p => new ImageSample(p, 0)));
        return new ImageDataset(new[] { "a", "b" }, samples);
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(int.MaxValue)]
    public void GetBatches_BatchSizeFarAboveTheSampleCount_YieldsOneBatchOfTheSamples(int batchSize)
    {
        var loader = new DataLoader(Dataset(3), ImageTransform.ForEvaluation(Small), new DataLoaderOptions { BatchSize = batchSize, Workers = 1 });

        var batches = loader.GetBatches(0).ToList();

        var batch = Assert.Single(batches);
        Assert.Equal(6, batch.Count);
        Assert.Equal(6L * 3 * 16 * 16 * sizeof(float) * 2 * 3, loader.BufferBytes);
        batch.Dispose();
    }

    [Fact]
    public void Constructor_BuffersAboveTheAvailableMemory_RefusesWithTheAmountNeeded()
    {
        var samples = Enumerable.Range(0, 64).Select(i => new ImageSample($"/nowhere/{i}.png", i % 2));
        var dataset = new ImageDataset(new[] { "a", "b" }, samples);
        var big = ImagePreprocessing.Torch.WithInputSize(ImagePreprocessing.MaxInputSize);

        var error = Assert.Throws<InsufficientMemoryException>(() => new DataLoader(dataset, ImageTransform.ForEvaluation(big), new DataLoaderOptions { BatchSize = 64 }));

        Assert.Contains("GiB", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100_000)]
    [InlineData(ImagePreprocessing.MaxInputSize + 1)]
    public void WithInputSize_AboveTheLimit_Throws(int size)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ImagePreprocessing.Torch.WithInputSize(size));
        Assert.Throws<ArgumentOutOfRangeException>(() => (ImagePreprocessing.Torch with { InputSize = size, ResizeSize = size }).Validate());
    }

    [Fact]
    public void GetBatches_FifoAndDevZeroAmongGoodImages_SkipsThemWithReasonsAndYieldsTheRest()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // named pipes and /dev/zero are Unix features
        }

        var fifo = images.PathOf("0/fifo.png");
        HostileFilesTests.MakeFifo(fifo);
        var zero = images.PathOf("0/zero.jpg");
        File.CreateSymbolicLink(zero, "/dev/zero");
        var loader = new DataLoader(Dataset(3, fifo, zero), ImageTransform.ForEvaluation(Small), new DataLoaderOptions { BatchSize = 4, Shuffle = false, Workers = 2 });

        var count = HostileFilesTests.WithTimeout(
            () => loader.GetBatches(0).Sum(b =>
            {
                using (b)
                {
                    return b.Count;
                }
            }),
            unblock: () => HostileFilesTests.ReleaseFifo(fifo));

        Assert.Equal(6, count);
        Assert.Equal(2, loader.Report.Count);
        Assert.All(loader.Report.Entries, e => Assert.Equal(BadFileReason.NotARegularFile, e.Reason));
    }

    [Fact]
    public void Verify_ClassWithOnlyUnreadableImages_IsLeftEmptyAndEveryBadFileIsListed()
    {
        var good = Dataset(3);
        var text = images.Write("b/bad1.png", "not an image"u8.ToArray());
        var empty = images.Write("b/bad2.png", Array.Empty<byte>());
        var samples = good.Samples.Where(s => s.Label == 0).Append(new ImageSample(text, 1)).Append(new ImageSample(empty, 1));
        var dataset = new ImageDataset(good.ClassNames, samples);

        var result = DatasetVerifier.Verify(dataset, ImageTransform.ForEvaluation(Small).DecodeOptions, workers: 2);

        Assert.Equal(3, result.Readable.Count);
        Assert.Equal(new[] { "b" }, result.ClassesLeftEmpty(dataset));
        Assert.Equal(new[] { BadFileReason.NotAnImage, BadFileReason.Empty }, result.Skipped.Select(s => s.Reason));
        Assert.Equal(new[] { 3, 4 }, result.Skipped.Select(s => s.SampleIndex));
    }
}
