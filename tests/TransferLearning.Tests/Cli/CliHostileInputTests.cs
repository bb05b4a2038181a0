using System.IO.Compression;
using System.Text;
using System.Text.Json;
using TransferLearning.Cli;

namespace TransferLearning.Tests.Cli;

/// <summary>
/// Bad input given to <c>tl</c> on purpose (issue 12): markup characters in names, options without their value, foreign
/// or hostile model and weights files, unwritable outputs and charts that cannot be written.
/// </summary>
public sealed class CliHostileInputTests : IClassFixture<BracketNamesFixture>
{
    private readonly BracketNamesFixture fixture;

    public CliHostileInputTests(BracketNamesFixture fixture) => this.fixture = fixture;

    // ---- markup characters in interpolated text: every command's human output, exit 0 ----

    [Fact]
    public void Train_HumanOutputWithBracketsInPathsClassesAndWeights_ExitsZero()
    {
        Assert.True(fixture.Train.ExitCode == TlApp.ExitOk, fixture.Train.ToString());
        Assert.Contains("[triangles]", fixture.Train.StdOut, StringComparison.Ordinal);
        Assert.Contains("Saved", fixture.Train.StdOut, StringComparison.Ordinal);
        Assert.True(File.Exists(fixture.Model));
    }

    [Fact]
    public void Evaluate_HumanOutputWithBracketsInNames_ExitsZero()
    {
        Assert.True(File.Exists(fixture.Model), fixture.Train.ToString());
        var confusion = Path.Combine(fixture.Output, "c[1].png");

        var result = CliRunner.Run("evaluate", "--model", fixture.Model, "--data", fixture.Data, "--confusion", confusion);

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        Assert.Contains("disc[s]", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("m[batch, 3].tlm", result.StdOut, StringComparison.Ordinal);
        Assert.True(File.Exists(confusion));
    }

    [Fact]
    public void Predict_HumanOutputWithBracketsInNames_ExitsZero()
    {
        Assert.True(File.Exists(fixture.Model), fixture.Train.ToString());
        var image = Directory.GetFiles(Path.Combine(fixture.Data, "[triangles]"))[0];
        var renamed = Path.Combine(fixture.Root, "img [0].png");
        File.Copy(image, renamed, overwrite: true);

        var result = CliRunner.Run("predict", "--model", fixture.Model, renamed, "--top", "3");

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        Assert.Contains("img [0].png", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("m[batch, 3].tlm", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void ExportOnnx_HumanOutput_ExitsZeroAndPrintsTheWholePreprocessing()
    {
        Assert.True(File.Exists(fixture.Model), fixture.Train.ToString());
        var output = Path.Combine(fixture.Output, "e[batch].onnx");

        var result = CliRunner.Run("export-onnx", "--model", fixture.Model, "--output", output);

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        Assert.Contains("[batch, 3, 32, 32]", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("[batch, 3] logits for [triangles], disc[s], squares", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("resize_size: 37", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("crop: center 32x32", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("interpolation: bilinear", result.StdOut, StringComparison.Ordinal);
        Assert.Equal("", result.StdErr);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void ExportOnnx_Json_ReportsThePreprocessingDetails()
    {
        Assert.True(File.Exists(fixture.Model), fixture.Train.ToString());
        var output = Path.Combine(fixture.Output, "j.onnx");

        var result = CliRunner.Run("export-onnx", "--model", fixture.Model, "--output", output, "--json");

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        var details = json.RootElement.GetProperty("preprocessing_details");
        Assert.Equal("37", details.GetProperty("resize_size").GetString());
        Assert.Equal("shorter_side_then_center_crop", details.GetProperty("resize_mode").GetString());
        Assert.Equal("RGB", details.GetProperty("channel_order").GetString());
    }

    [Fact]
    public void LrFind_HumanOutputWithBracketsInNames_ExitsZero()
    {
        var plot = Path.Combine(fixture.Output, "lr[1].png");

        var result = CliRunner.Run(
            "lr-find", "--data", fixture.Data, "--backbone", "resnet18", "--weights", fixture.Weights, "--image-size", "32",
            "--batch-size", "8", "--steps", "5", "--plot", plot);

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        Assert.Contains("lr[1].png", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Backbones_HumanOutput_ExitsZero()
    {
        var result = CliRunner.Run("backbones");

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
    }

    // ---- an option without its value ----

    public static TheoryData<string[]> OptionsWithoutValue() => new()
    {
        new[] { "train", "--data", "data", "--backbone", "resnet18", "--output" },
        new[] { "train", "--data", "data", "--backbone", "resnet18", "--output", "--json" },
        new[] { "export-onnx", "--model", "m.tlm", "--output" },
        new[] { "export-onnx", "--model", "m.tlm", "--output", "--softmax" },
        new[] { "lr-find", "--data", "data", "--backbone", "resnet18", "--plot" },
        new[] { "evaluate", "--model", "m.tlm", "--data", "data", "--confusion" },
        new[] { "predict", "--model", "m.tlm", "x.png", "--top" },
        new[] { "predict", "x.png", "--model" },
    };

    [Theory]
    [MemberData(nameof(OptionsWithoutValue))]
    public void Run_OptionWithoutValue_IsAUsageErrorAndWritesNothing(string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.True(result.ExitCode == TlApp.ExitUsage, result.ToString());
        var line = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tl: error: --", line, StringComparison.Ordinal);
        Assert.Contains("needs a value", line, StringComparison.Ordinal);
        Assert.DoesNotContain("__default_command", result.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists("__default_command"));
    }

    [Fact]
    public void Train_NegativeNumberAfterOption_IsStillAValue()
    {
        // "-1" is a value, not an option: the line gets past the value check (and fails later on the missing folder).
        var result = CliRunner.Run("train", "--data", "/no/such/folder", "--backbone", "resnet18", "--seed", "-1", "--output", "m.tlm");

        Assert.Equal(TlApp.ExitUsage, result.ExitCode);
        Assert.Contains("does not exist", result.StdErr, StringComparison.Ordinal);
    }

    // ---- foreign and hostile weights and model files ----

    [Fact]
    public void Train_WeightsDatWithUnknownElementType_OneLineNoNativeBacktrace()
    {
        // Valid structure up to an element type libtorch does not know: TorchSharp used to hand it to libtorch, which
        // answered with "Unsupported TypeMeta in ATen" and a native backtrace.
        var path = Path.Combine(fixture.Root, "typemeta.dat");
        using (var stream = File.Create(path))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write((byte)1); // one entry (LEB128)
            writer.Write("zzz"); // a key the backbone does not have
            writer.Write((byte)99); // element type 99
            writer.Write((byte)1); // one dimension
            writer.Write((byte)4); // of 4
            writer.Write(new byte[64]);
        }

        var result = TrainWithWeights(path);

        AssertOneLineFailure(result, "not a TorchSharp weights file");
        Assert.Contains("element type 99", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("random.dat", "not a TorchSharp weights file")]
    [InlineData("random.pth", "not a PyTorch state dict")]
    [InlineData("random.onnx", "not an ONNX model")]
    [InlineData("random.safetensors", "not a safetensors file")]
    public void Train_RandomBytesAsWeights_OneLineNamingWhatIsWrong(string name, string expected)
    {
        var path = Path.Combine(fixture.Root, name);
        var bytes = new byte[100_000];
        new Random(12).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        var result = TrainWithWeights(path);

        AssertOneLineFailure(result, expected);
        Assert.DoesNotContain("old PyTorch format", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_FolderAsWeights_SaysItIsAFolder()
    {
        var folder = Path.Combine(fixture.Root, "weights.pth");
        Directory.CreateDirectory(folder);

        var result = TrainWithWeights(folder);

        Assert.Equal(TlApp.ExitUsage, result.ExitCode);
        Assert.Contains("is a folder", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("lr-find")]
    public void Command_ImageSizeAboveModelFileLimit_IsAUsageError(string command)
    {
        var result = command == "train"
            ? CliRunner.Run("train", "--data", fixture.Data, "--backbone", "resnet18", "--image-size", "4096", "--output", Path.Combine(fixture.Root, "never", "m.tlm"))
            : CliRunner.Run("lr-find", "--data", fixture.Data, "--backbone", "resnet18", "--image-size", "4096");

        Assert.Equal(TlApp.ExitUsage, result.ExitCode);
        Assert.Contains("at most 2048", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_DataIsAFile_SaysItIsAFile()
    {
        var file = Directory.GetFiles(Path.Combine(fixture.Data, "squares"))[0];

        var result = CliRunner.Run("train", "--data", file, "--backbone", "resnet18", "--output", Path.Combine(fixture.Root, "never", "m.tlm"));

        Assert.Equal(TlApp.ExitUsage, result.ExitCode);
        Assert.Contains("is a file, not a folder", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evaluate")]
    [InlineData("predict")]
    [InlineData("export-onnx")]
    public void Command_FolderAsModel_SaysItIsAFolder(string command)
    {
        var folder = Path.Combine(fixture.Root, "model.tlm");
        Directory.CreateDirectory(folder);
        string[] args = command switch
        {
            "evaluate" => ["evaluate", "--model", folder, "--data", fixture.Data],
            "predict" => ["predict", "--model", folder, Directory.GetFiles(Path.Combine(fixture.Data, "squares"))[0]],
            _ => ["export-onnx", "--model", folder, "--output", Path.Combine(fixture.Root, "x.onnx")],
        };

        var result = CliRunner.Run(args);

        Assert.Equal(TlApp.ExitUsage, result.ExitCode);
        Assert.Contains("is a folder", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", result.StdErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"hiddenSizes\": \\[[^\\]]*\\]", "\"hiddenSizes\": [2000000000]", "hidden size")]
    [InlineData("\"inputSize\": 32", "\"inputSize\": 10000", "inputSize")]
    public void Commands_HostileManifestWithValidChecksums_RefusedBeforeAllocating(string find, string replace, string expected)
    {
        Assert.True(File.Exists(fixture.Model), fixture.Train.ToString());
        var hostile = Path.Combine(fixture.Root, $"hostile-{expected.Replace(' ', '-')}.tlm");
        File.Copy(fixture.Model, hostile, overwrite: true);
        RewriteManifest(hostile, json =>
        {
            var replaced = System.Text.RegularExpressions.Regex.Replace(json, find, replace);
            Assert.NotEqual(json, replaced);
            return replaced;
        });
        var image = Directory.GetFiles(Path.Combine(fixture.Data, "squares"))[0];

        foreach (var args in new[]
                 {
                     new[] { "predict", "--model", hostile, image },
                     new[] { "evaluate", "--model", hostile, "--data", fixture.Data },
                     new[] { "export-onnx", "--model", hostile, "--output", Path.Combine(fixture.Root, "h.onnx") },
                 })
        {
            var result = CliRunner.Run(args);
            AssertOneLineFailure(result, expected);
        }
    }

    // ---- output folders and charts ----

    [Fact]
    public void Train_ReadOnlyOutputFolder_RefusedBeforeReadingData()
    {
        var folder = UnwritableFolder();

        var result = CliRunner.Run(
            "train", "--data", fixture.Data, "--backbone", "resnet18", "--weights", "random", "--image-size", "32",
            "--epochs-head", "1", "--epochs-finetune", "0", "--output", Path.Combine(folder, "m.tlm"));

        Assert.True(result.ExitCode == TlApp.ExitUsage, result.ToString());
        var line = Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("cannot write in folder", line, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut.Trim());
    }

    [Fact]
    public void Train_ChartsCannotBeWritten_WarnsKeepsExitZeroAndPrintsJson()
    {
        var output = Path.Combine(fixture.Root, "charts-fail");
        Directory.CreateDirectory(output);
        // A folder where each chart should go: the model is saved, both charts fail (as on a full disk).
        Directory.CreateDirectory(Path.Combine(output, "curves.png"));
        Directory.CreateDirectory(Path.Combine(output, "confusion.png"));
        Directory.CreateDirectory(Path.Combine(output, "report.html"));
        var model = Path.Combine(output, "m.tlm");

        var result = CliRunner.Run(
            "train", "--data", fixture.Data, "--backbone", "resnet18", "--weights", "random", "--image-size", "32",
            "--epochs-head", "1", "--epochs-finetune", "0", "--batch-size", "8", "--val-split", "0.4", "--output", model, "--json");

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        Assert.True(File.Exists(model));
        using var json = JsonDocument.Parse(result.StdOut);
        var charts = json.RootElement.GetProperty("charts");
        Assert.False(charts.TryGetProperty("curves", out _)); // only the charts that were written are listed
        Assert.False(charts.TryGetProperty("confusion", out _));
        Assert.False(charts.TryGetProperty("report", out _));
        Assert.Equal(3, json.RootElement.GetProperty("warnings").GetArrayLength());
        Assert.Contains("warning:", result.StdErr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(output, "*.tmp"));
    }

    private CliResult TrainWithWeights(string weights) => CliRunner.Run(
        "train", "--data", fixture.Data, "--backbone", "resnet18", "--weights", weights, "--image-size", "32",
        "--epochs-head", "1", "--epochs-finetune", "0", "--output", Path.Combine(fixture.Root, "never", "m.tlm"));

    private static void AssertOneLineFailure(CliResult result, string expected)
    {
        Assert.True(result.ExitCode == TlApp.ExitFailure, result.ToString());
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("tl: error: ", StringComparison.Ordinal));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("frame #", result.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Exception raised from", result.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A folder this process cannot create files in: a read-only temporary folder, or /sys when running as root.</summary>
    private string UnwritableFolder()
    {
        var folder = Path.Combine(fixture.Root, "read-only");
        Directory.CreateDirectory(folder);
        if (OperatingSystem.IsWindows())
        {
            return "C:\\Windows\\System32\\config"; // not writable without elevation
        }

        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            File.WriteAllText(Path.Combine(folder, "probe"), "");
            File.Delete(Path.Combine(folder, "probe"));
            return "/sys"; // root ignores permission bits; sysfs refuses new files even to root
        }
        catch (UnauthorizedAccessException)
        {
            return folder;
        }
    }

    /// <summary>Replaces the manifest of a model file and writes a matching SHA256SUMS, so only the limits can catch it.</summary>
    private static void RewriteManifest(string path, Func<string, string> edit)
    {
        byte[] manifest, weights;
        using (var archive = ZipFile.OpenRead(path))
        {
            manifest = Read(archive.GetEntry("manifest.json")!);
            weights = Read(archive.GetEntry("weights.safetensors")!);
        }

        var edited = Encoding.UTF8.GetBytes(edit(Encoding.UTF8.GetString(manifest)));
        static string Sha(byte[] b) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(b)).ToLowerInvariant();
        File.Delete(path);
        using var output = ZipFile.Open(path, ZipArchiveMode.Create);
        Write(output, "manifest.json", edited);
        Write(output, "weights.safetensors", weights);
        Write(output, "SHA256SUMS", Encoding.ASCII.GetBytes($"{Sha(edited)}  manifest.json\n{Sha(weights)}  weights.safetensors\n"));

        static byte[] Read(ZipArchiveEntry entry)
        {
            using var stream = entry.Open();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            return memory.ToArray();
        }

        static void Write(ZipArchive archive, string name, byte[] content)
        {
            using var stream = archive.CreateEntry(name).Open();
            stream.Write(content);
        }
    }
}
