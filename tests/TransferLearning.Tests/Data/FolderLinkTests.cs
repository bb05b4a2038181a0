using TransferLearning.Data;

namespace TransferLearning.Tests.Data;

/// <summary>Folder links in a dataset: loops, links to parents, links to outside folders, the same folder twice.</summary>
public sealed class FolderLinkTests : IDisposable
{
    private readonly TestImages images = new();
    private readonly string outside = Directory.CreateTempSubdirectory("tl-outside-").FullName;

    public void Dispose()
    {
        images.Dispose();
        Directory.Delete(outside, recursive: true);
    }

    private string Data => Path.Combine(images.Root, "data");

    private void WriteClasses(int perClass)
    {
        using var bitmap = TestImages.Pattern(16, 16, 1);
        var png = TestImages.Png(bitmap);
        foreach (var cls in new[] { "a", "b" })
        {
            for (var i = 0; i < perClass; i++)
            {
                images.Write($"data/{cls}/{i}.png", png);
            }
        }
    }

    [Fact]
    public void FromFolder_LinkFromAClassToTheDataFolder_CountsEachFileOnceInItsOwnClassAndReportsTheLink()
    {
        WriteClasses(3);
        Directory.CreateSymbolicLink(Path.Combine(Data, "a", "up"), "..");

        var dataset = HostileFilesTests.WithTimeout(() => ImageDataset.FromFolder(Data));

        Assert.Equal(6, dataset.Count);
        Assert.Equal(new[] { 3, 3 }, dataset.ClassCounts);
        Assert.All(dataset.Samples, s => Assert.Equal(dataset.ClassNames[s.Label], Path.GetFileName(Path.GetDirectoryName(s.Path))));
        var skip = Assert.Single(dataset.ListingSkips);
        Assert.Equal(BadFileReason.DuplicateFolder, skip.Reason);
        Assert.EndsWith(Path.Combine("a", "up"), skip.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFolder_TwoLinkLoops_EndsAndCountsEachFileOnce()
    {
        WriteClasses(2);
        Directory.CreateSymbolicLink(Path.Combine(Data, "a", "up"), "..");
        Directory.CreateSymbolicLink(Path.Combine(Data, "b", "up2"), Path.Combine("..", ".."));
        Directory.CreateSymbolicLink(Path.Combine(Data, "b", "self"), ".");

        var dataset = HostileFilesTests.WithTimeout(() => ImageDataset.FromFolder(Data));

        Assert.Equal(4, dataset.Count);
        Assert.Equal(3, dataset.ListingSkips.Count);
    }

    [Fact]
    public void FromFolder_LinkToAFolderOutsideTheData_IsFollowedOnce()
    {
        WriteClasses(2);
        using var bitmap = TestImages.Pattern(16, 16, 2);
        File.WriteAllBytes(Path.Combine(outside, "extra.png"), TestImages.Png(bitmap));
        Directory.CreateSymbolicLink(Path.Combine(Data, "a", "more"), outside);
        Directory.CreateSymbolicLink(Path.Combine(Data, "b", "again"), outside);

        var dataset = ImageDataset.FromFolder(Data);

        Assert.Equal(new[] { 3, 2 }, dataset.ClassCounts);
        var skip = Assert.Single(dataset.ListingSkips);
        Assert.Equal(BadFileReason.DuplicateFolder, skip.Reason);
        Assert.Contains("already read", skip.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImageFileList_FolderWithLoop_ListsEachImageOnce()
    {
        WriteClasses(2);
        Directory.CreateSymbolicLink(Path.Combine(Data, "a", "up"), "..");

        var list = HostileFilesTests.WithTimeout(() => ImageFileList.FromFolder(Data));

        Assert.Equal(4, list.Files.Count);
        Assert.Single(list.Skipped);
    }
}

/// <summary>Dataset lists that are not regular files.</summary>
public sealed class CsvListHostileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tl-csv-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void FromCsv_NamedPipe_FailsWithoutHanging()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // named pipes in the file system are a Unix feature
        }

        var fifo = Path.Combine(folder, "labels.csv");
        HostileFilesTests.MakeFifo(fifo);

        var error = HostileFilesTests.WithTimeout(() => Assert.Throws<DatasetException>(() => ImageDataset.FromCsv(fifo)), unblock: () => HostileFilesTests.ReleaseFifo(fifo));

        Assert.Contains("named pipe", error.Message, StringComparison.Ordinal);
    }
}
