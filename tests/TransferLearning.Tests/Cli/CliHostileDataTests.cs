using System.Text.Json;
using TransferLearning.Persistence;
using TransferLearning.Tests.Data;
using TransferLearning.Tests.Persistence;

namespace TransferLearning.Tests.Cli;

/// <summary>
/// <c>tl</c> on folders with bad files: pipes, device links, link loops, unreadable classes and validation sets,
/// huge batch and image sizes; <c>tl predict</c> on folders with CSV and JSON output.
/// </summary>
public sealed class CliHostileDataTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("tl-cli-hostile-").FullName;

    public CliHostileDataTests()
    {
        Model = Path.Combine(root, "tiny.tlm");
        using var model = TestModels.TinyResNet(classes: 3);
        TransferModelFile.Save(model, Model);
    }

    private string Model { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Classes "0", "1", "2" (the tiny model's) with <paramref name="perClass"/> generated PNGs each.</summary>
    private string WriteData(string name, int perClass, int seed = 1)
    {
        var data = Path.Combine(root, name);
        var random = new Random(seed);
        for (var c = 0; c < 3; c++)
        {
            Directory.CreateDirectory(Path.Combine(data, c.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            for (var i = 0; i < perClass; i++)
            {
                CliTestData.WriteImage(Path.Combine(data, $"{c}", $"img_{i:D2}.png"), c, 40, random);
            }
        }

        return data;
    }

    private static CliResult Run(string? fifo, params string[] args) =>
        HostileFilesTests.WithTimeout(() => CliRunner.Run(args), seconds: 120, unblock: fifo is null ? null : () => HostileFilesTests.ReleaseFifo(fifo));

    private string? AddFifoAndDevZero(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var fifo = Path.Combine(folder, "x.png");
        HostileFilesTests.MakeFifo(fifo);
        File.CreateSymbolicLink(Path.Combine(folder, "zero.jpg"), "/dev/zero");
        return fifo;
    }

    [Fact]
    public void Predict_FolderWithPipeAndDeviceLink_ClassifiesTheGoodImagesAndWritesCsv()
    {
        var data = WriteData("data", 3);
        var fifo = AddFifoAndDevZero(Path.Combine(data, "1"));
        var csv = Path.Combine(root, "out", "predictions.csv");

        var result = Run(fifo, "predict", "--model", Model, data, "--output", csv);

        var bad = fifo is null ? 0 : 2;
        Assert.Equal(bad > 0 ? 1 : 0, result.ExitCode);
        Assert.DoesNotContain("   at ", result.StdErr + result.StdOut, StringComparison.Ordinal);
        var lines = File.ReadAllLines(csv);
        Assert.Equal("path,class,probability,error,0,1,2", lines[0]);
        Assert.Equal(9 + bad, lines.Length - 1);
        Assert.Equal(9, lines.Skip(1).Count(l => l.Split(',')[1].Length > 0));
        if (fifo is not null)
        {
            Assert.Contains(lines, l => l.StartsWith(fifo + ",,,", StringComparison.Ordinal) && l.Contains("named pipe", StringComparison.Ordinal));
        }

        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(csv)!, "*.tmp"));
    }

    [Fact]
    public void Predict_FormatJsonToStdout_WritesOneArrayWithAnEntryPerFile()
    {
        var data = WriteData("data", 2);
        File.WriteAllText(Path.Combine(data, "0", "notes.jpg"), "not an image");

        var result = Run(null, "predict", "--model", Model, data, "--format", "json", "--batch-size", "4");

        Assert.Equal(1, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        var items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(7, items.Length);
        Assert.Equal(6, items.Count(i => i.TryGetProperty("class", out _)));
        var bad = Assert.Single(items, i => i.TryGetProperty("error", out _));
        Assert.Equal("NotAnImage", bad.GetProperty("reason").GetString());
    }

    [Fact]
    public void Predict_DirectoryNamedLikeAnImage_IsReadAsAFolder()
    {
        var data = WriteData("data", 1);
        var dir = Path.Combine(root, "photo.png");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(data, "0", "img_00.png"), Path.Combine(dir, "inner.png"));

        var result = Run(null, "predict", "--model", Model, dir, "--json");

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.Equal(1, doc.RootElement.GetProperty("classified").GetInt32());
    }

    [Fact]
    public void Evaluate_LinkLoopAndHostileFiles_CountsEachImageOnceAndListsEverySkipInJson()
    {
        var data = WriteData("data", 3);
        Directory.CreateSymbolicLink(Path.Combine(data, "0", "up"), "..");
        var fifo = AddFifoAndDevZero(Path.Combine(data, "2"));

        var result = Run(fifo, "evaluate", "--model", Model, "--data", data, "--json");

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.Equal(9, doc.RootElement.GetProperty("sample_count").GetInt32());
        var reasons = doc.RootElement.GetProperty("skipped").EnumerateArray().Select(s => s.GetProperty("reason").GetString()).ToArray();
        Assert.Contains("DuplicateFolder", reasons);
        Assert.Equal(fifo is null ? 1 : 3, reasons.Length);
    }

    [Fact]
    public void Evaluate_EveryImageUnreadable_FailsWithOneLine()
    {
        var data = Path.Combine(root, "bad");
        Directory.CreateDirectory(Path.Combine(data, "0"));
        File.WriteAllText(Path.Combine(data, "0", "a.png"), "x");
        File.WriteAllBytes(Path.Combine(data, "0", "b.jpg"), Array.Empty<byte>());

        var result = Run(null, "evaluate", "--model", Model, "--data", data);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("tl: error: none of the 2 images", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("100000")]
    [InlineData("2147483647")]
    public void Evaluate_BatchSizeFarAboveTheImages_Works(string batchSize)
    {
        var data = WriteData("data", 2);

        var result = Run(null, "evaluate", "--model", Model, "--data", data, "--batch-size", batchSize, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.Equal(6, doc.RootElement.GetProperty("sample_count").GetInt32());
    }

    private CliResult Train(string data, params string[] extra) => Run(
        null,
        ["train", "--data", data, "--backbone", "resnet18", "--weights", "random", "--image-size", "32", "--epochs-head", "1", "--epochs-finetune", "0",
         "--batch-size", "8", "--output", Path.Combine(root, "out", "m.tlm"), .. extra]);

    [Fact]
    public void Train_ValidationFolderAllUnreadable_FailsBeforeTrainingWithoutAModel()
    {
        var data = WriteData("data", 3);
        var validation = Path.Combine(root, "val");
        Directory.CreateDirectory(Path.Combine(validation, "0"));
        File.WriteAllText(Path.Combine(validation, "0", "a.png"), "not an image");

        var result = Train(data, "--val", validation);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("none of the 1 validation images can be read", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("epoch", result.StdOut, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(root, "out", "m.tlm")));
    }

    [Fact]
    public void Train_ClassWhoseEveryImageIsUnreadable_FailsBeforeTrainingLikeAnEmptyClass()
    {
        var data = WriteData("data", 4);
        foreach (var file in Directory.GetFiles(Path.Combine(data, "2")))
        {
            File.WriteAllText(file, "not an image");
        }

        var result = Train(data);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("class(es) without a readable training image: 2", result.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(root, "out", "m.tlm")));
    }

    [Fact]
    public void Train_EveryImageUnreadable_SaysSo()
    {
        var data = WriteData("data", 2);
        foreach (var file in Directory.GetFiles(data, "*", SearchOption.AllDirectories))
        {
            File.WriteAllBytes(file, Array.Empty<byte>());
        }

        var result = Train(data);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("training images can be read", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("yielded no batch", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_UnreadableFiles_AreReportedPerSplitAndCountsAreTheSamplesUsed()
    {
        var data = WriteData("data", 6);
        for (var c = 0; c < 3; c++)
        {
            File.WriteAllText(Path.Combine(data, $"{c}", "img_00.png"), "not an image");
            File.WriteAllBytes(Path.Combine(data, $"{c}", "img_01.png"), Array.Empty<byte>());
        }

        var result = Train(data, "--val-split", "0.34", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.StdOut);
        var skipped = doc.RootElement.GetProperty("skipped");
        var train = skipped.GetProperty("train").GetArrayLength();
        var validation = skipped.GetProperty("validation").GetArrayLength();
        Assert.Equal(6, train + validation);
        Assert.Equal(18 - 6, doc.RootElement.GetProperty("train_samples").GetInt32() + doc.RootElement.GetProperty("validation_samples").GetInt32());
        Assert.Equal(doc.RootElement.GetProperty("validation_samples").GetInt32(), doc.RootElement.GetProperty("per_class").EnumerateArray().Sum(c => c.GetProperty("support").GetInt32()));
        Assert.Contains("training: ", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("file(s) skipped", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--image-size", "10000")]
    [InlineData("--image-size", "100000")]
    public void Train_ImageSizeBeyondMemory_IsRefusedWithOneLine(string option, string value)
    {
        var data = WriteData("data", 2);

        var result = Train(data, option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("tl: error: --image-size", result.StdErr, StringComparison.Ordinal);
        Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Train_DataIsAFile_SaysItIsAFile()
    {
        var data = WriteData("data", 1);

        var result = Train(Path.Combine(data, "0", "img_00.png"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is a file", result.StdErr, StringComparison.Ordinal);
    }
}
