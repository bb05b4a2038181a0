using SkiaSharp;
using TransferLearning.Data;

namespace TransferLearning.Tests.Data;

public sealed class ImageDatasetTests : IDisposable
{
    private readonly TestImages images = new();

    public void Dispose() => images.Dispose();

    private void AddImages(string folder, int count, int seed = 0)
    {
        for (var i = 0; i < count; i++)
        {
            using var b = TestImages.Pattern(16, 16, seed + i);
            images.Write($"{folder}/img{i:D3}.png", TestImages.Png(b));
        }
    }

    [Fact]
    public void FromFolder_ClassFolders_SortsClassNamesAndFilesOrdinally()
    {
        AddImages("data/zebra", 2);
        AddImages("data/Apple", 3);
        AddImages("data/cat", 1);
        AddImages("data/cat/nested", 1);
        images.Write("data/cat/readme.txt", "not an image"u8.ToArray());
        images.Write("data/cat/._img000.png", "AppleDouble"u8.ToArray());
        AddImages("data/.ipynb_checkpoints", 1);
        AddImages("data/cat/.cache", 1);

        var dataset = ImageDataset.FromFolder(Path.Combine(images.Root, "data"));

        Assert.Equal(new[] { "Apple", "cat", "zebra" }, dataset.ClassNames);
        Assert.Equal(new[] { 3, 2, 2 }, dataset.ClassCounts);
        Assert.Equal(7, dataset.Count);
        Assert.All(dataset.Samples.Where(s => s.Label == 1), s => Assert.Contains(Path.Combine("data", "cat"), s.Path, StringComparison.Ordinal));
        Assert.Equal(dataset.Samples.Select(s => s.Path).Where(p => p.Contains("Apple", StringComparison.Ordinal)).Order(StringComparer.Ordinal), dataset.Samples.Take(3).Select(s => s.Path));
    }

    [Fact]
    public void FromFolder_NotRecursive_IgnoresNestedImages()
    {
        AddImages("data/a", 2);
        AddImages("data/a/deeper", 2);
        AddImages("data/b", 2);

        var dataset = ImageDataset.FromFolder(Path.Combine(images.Root, "data"), new ImageFolderOptions { Recursive = false });

        Assert.Equal(new[] { 2, 2 }, dataset.ClassCounts);
    }

    [Fact]
    public void FromFolder_EmptyClassFolder_ThrowsNamingIt()
    {
        AddImages("data/a", 2);
        Directory.CreateDirectory(images.PathOf("data/empty/x"));

        var e = Assert.Throws<DatasetException>(() => ImageDataset.FromFolder(Path.Combine(images.Root, "data")));

        Assert.Contains("empty", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFolder_SingleClass_Throws()
    {
        AddImages("data/only", 3);

        var e = Assert.Throws<DatasetException>(() => ImageDataset.FromFolder(Path.Combine(images.Root, "data")));

        Assert.Contains("single class", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFolder_NoImages_Throws()
    {
        images.Write("data/a/notes.txt", "x"u8.ToArray());
        images.Write("data/b/notes.txt", "x"u8.ToArray());

        var e = Assert.Throws<DatasetException>(() => ImageDataset.FromFolder(Path.Combine(images.Root, "data")));

        Assert.Contains("no images", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFolder_NoClassFolders_Throws()
    {
        AddImages("data", 2);

        Assert.Throws<DatasetException>(() => ImageDataset.FromFolder(Path.Combine(images.Root, "data")));
    }

    [Fact]
    public void FromFolder_MissingFolder_ThrowsDirectoryNotFound()
    {
        Assert.Throws<DirectoryNotFoundException>(() => ImageDataset.FromFolder(Path.Combine(images.Root, "nope")));
    }

    [Fact]
    public void FromFolders_SeparateSplits_ShareTrainingClassNames()
    {
        AddImages("train/a", 3);
        AddImages("train/b", 3);
        AddImages("val/b", 2);
        AddImages("test/a", 1);
        AddImages("test/b", 1);

        var splits = ImageDataset.FromFolders(images.PathOf("train"), images.PathOf("val"), images.PathOf("test"));

        Assert.Equal(new[] { "a", "b" }, splits.Validation.ClassNames);
        Assert.Equal(new[] { 0, 2 }, splits.Validation.ClassCounts);
        Assert.All(splits.Validation.Samples, s => Assert.Equal(1, s.Label));
        Assert.Equal(new[] { 1, 1 }, splits.Test!.ClassCounts);
    }

    [Fact]
    public void FromFolders_ValidationWithUnknownClass_Throws()
    {
        AddImages("train/a", 2);
        AddImages("train/b", 2);
        AddImages("val/c", 2);

        var e = Assert.Throws<DatasetException>(() => ImageDataset.FromFolders(images.PathOf("train"), images.PathOf("val")));

        Assert.Contains("c", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCsv_HeaderQuotedAndRelativePaths_AreRead()
    {
        AddImages("imgs", 4);
        var csv = images.Write("labels.csv", System.Text.Encoding.UTF8.GetBytes(
            "path,label\nimgs/img000.png,dog\n\"imgs/img001.png\",cat\nimgs/img002.png,dog\n\n" + images.PathOf("imgs/img003.png") + ",cat\n"));

        var dataset = ImageDataset.FromCsv(csv);

        Assert.Equal(new[] { "cat", "dog" }, dataset.ClassNames);
        Assert.Equal(new[] { 1, 0, 1, 0 }, dataset.Samples.Select(s => s.Label));
        Assert.Equal(images.PathOf("imgs/img001.png"), dataset.Samples[1].Path);
    }

    [Fact]
    public void FromCsv_TsvWithExplicitClassNamesAndRoot_UsesThem()
    {
        AddImages("elsewhere", 2);
        var tsv = images.Write("meta/list.tsv", "img000.png\tb\nimg001.png\ta\n"u8.ToArray());

        var dataset = ImageDataset.FromCsv(tsv, images.PathOf("elsewhere"), new[] { "b", "a" });

        Assert.Equal(new[] { 0, 1 }, dataset.Samples.Select(s => s.Label));
        Assert.Equal(images.PathOf("elsewhere/img001.png"), dataset.Samples[1].Path);
    }

    [Theory]
    [InlineData("a.png\n", "expected")]
    [InlineData("a.png,x\nb.png,y\n", "not one of")]
    public void FromCsv_BadContent_ThrowsWithLine(string content, string expected)
    {
        var csv = images.Write("bad.csv", System.Text.Encoding.UTF8.GetBytes(content));

        var e = Assert.Throws<DatasetException>(() => ImageDataset.FromCsv(csv, classNames: content.Contains(',', StringComparison.Ordinal) ? new[] { "x", "z" } : null));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCsv_SingleLabel_Throws()
    {
        var csv = images.Write("one.csv", "a.png,x\nb.png,x\n"u8.ToArray());

        Assert.Throws<DatasetException>(() => ImageDataset.FromCsv(csv));
    }

    private static ImageDataset Synthetic(params int[] counts)
    {
        var samples = counts.SelectMany((n, c) => Enumerable.Range(0, n).Select(i => new ImageSample($"/nowhere/{c}/{i}.png", c)));
        return new ImageDataset(counts.Select((_, c) => "class" + c), samples);
    }

    [Fact]
    public void ComputeClassWeights_Imbalanced_AreInverseToCounts()
    {
        var dataset = Synthetic(30, 10, 20);

        var weights = dataset.ComputeClassWeights();

        Assert.Equal(60.0 / (3 * 30), weights[0], 5);
        Assert.Equal(60.0 / (3 * 10), weights[1], 5);
        Assert.Equal(60.0 / (3 * 20), weights[2], 5);
        Assert.Equal(3.0, dataset.ImbalanceRatio, 5);
        var summary = dataset.DescribeClasses();
        Assert.Contains("class1", summary, StringComparison.Ordinal);
        Assert.Contains("3.00", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void StratifiedSplit_SameSeed_SameSplitAndClassProportionsKept()
    {
        var dataset = Synthetic(40, 20);

        var a = dataset.StratifiedSplit(0.25, 0.1, seed: 7);
        var b = dataset.StratifiedSplit(0.25, 0.1, seed: 7);

        Assert.Equal(a.Train.Samples, b.Train.Samples);
        Assert.Equal(a.Validation.Samples, b.Validation.Samples);
        Assert.Equal(a.Test!.Samples, b.Test!.Samples);
        Assert.Equal(new[] { 10, 5 }, a.Validation.ClassCounts);
        Assert.Equal(new[] { 4, 2 }, a.Test.ClassCounts);
        Assert.Equal(new[] { 26, 13 }, a.Train.ClassCounts);
        var all = a.Train.Samples.Concat(a.Validation.Samples).Concat(a.Test.Samples).Select(s => s.Path).ToHashSet();
        Assert.Equal(60, all.Count);
    }

    [Fact]
    public void StratifiedSplit_DifferentSeed_DifferentSplit()
    {
        var dataset = Synthetic(40, 20);

        var a = dataset.StratifiedSplit(0.25, seed: 1);
        var b = dataset.StratifiedSplit(0.25, seed: 2);

        Assert.NotEqual(a.Validation.Samples, b.Validation.Samples);
        Assert.Null(a.Test);
    }

    [Fact]
    public void StratifiedSplit_TinyClass_KeepsOneForTraining()
    {
        var dataset = Synthetic(1, 2, 10);

        var split = dataset.StratifiedSplit(0.2, seed: 0);

        Assert.Equal(new[] { 1, 1, 8 }, split.Train.ClassCounts);
        Assert.Equal(new[] { 0, 1, 2 }, split.Validation.ClassCounts);
    }

    [Theory]
    [InlineData(-0.1, 0)]
    [InlineData(1.0, 0)]
    [InlineData(0.5, 0.5)]
    public void StratifiedSplit_BadFractions_Throw(double validation, double test)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Synthetic(4, 4).StratifiedSplit(validation, test));
    }

    [Fact]
    public void Fingerprint_ChangesWithFileContentAndLabels_StableOtherwise()
    {
        AddImages("data/a", 2);
        AddImages("data/b", 2, seed: 10);
        var root = Path.Combine(images.Root, "data");
        var first = ImageDataset.FromFolder(root).Fingerprint;
        Assert.Equal(first, ImageDataset.FromFolder(root).Fingerprint);
        Assert.Matches("^[0-9a-f]{64}$", first);

        using (var b = TestImages.Solid(40, 40, SKColors.Red))
        {
            File.WriteAllBytes(images.PathOf("data/a/img000.png"), TestImages.Png(b));
        }

        var changed = ImageDataset.FromFolder(root);
        Assert.NotEqual(first, changed.Fingerprint);
        var relabelled = new ImageDataset(changed.ClassNames, changed.Samples.Select(s => s with { Label = 1 - s.Label }));
        Assert.NotEqual(changed.Fingerprint, relabelled.Fingerprint);
    }

    [Fact]
    public void Constructor_LabelOutOfRange_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ImageDataset(new[] { "a", "b" }, new[] { new ImageSample("x.png", 2) }));
        Assert.Throws<ArgumentException>(() => new ImageDataset(new[] { "a", "a" }, Array.Empty<ImageSample>()));
    }
}
