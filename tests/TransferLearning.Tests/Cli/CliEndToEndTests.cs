using System.Text.Json;
using SkiaSharp;
using TransferLearning.Cli;

namespace TransferLearning.Tests.Cli;

/// <summary><c>tl train</c>, <c>evaluate</c> and <c>predict</c> end to end, in-process, on generated images.</summary>
public sealed class CliEndToEndTests : IClassFixture<TrainedModelFixture>
{
    private readonly TrainedModelFixture fixture;

    public CliEndToEndTests(TrainedModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public void Train_Json_ReportsMetricsHistoryAndWritesModelAndCharts()
    {
        Assert.True(fixture.Train.ExitCode == TlApp.ExitOk, fixture.Train.ToString());
        var root = fixture.TrainJson!.RootElement;

        Assert.Equal("train", root.GetProperty("command").GetString());
        Assert.Equal(CliTestData.Classes, root.GetProperty("class_names").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var accuracy = root.GetProperty("accuracy").GetDouble();
        Assert.InRange(accuracy, 0, 1);
        Assert.InRange(root.GetProperty("balanced_accuracy").GetDouble(), 0, 1);
        Assert.Equal(3, root.GetProperty("per_class").GetArrayLength());
        foreach (var c in root.GetProperty("per_class").EnumerateArray())
        {
            Assert.InRange(c.GetProperty("recall").GetDouble(), 0, 1);
            Assert.InRange(c.GetProperty("f1").GetDouble(), 0, 1);
        }

        var confusion = root.GetProperty("confusion_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        Assert.Equal(3, confusion.Length);
        var validationSamples = root.GetProperty("validation_samples").GetInt32();
        Assert.Equal(validationSamples, confusion.Sum(r => r.Sum()));
        Assert.Equal(36, validationSamples + root.GetProperty("train_samples").GetInt32());
        var diagonal = Enumerable.Range(0, 3).Sum(i => confusion[i][i]);
        Assert.Equal(accuracy, (double)diagonal / validationSamples, 6);

        var phases = root.GetProperty("history").EnumerateArray().ToArray();
        Assert.Equal(["feature-extraction", "fine-tuning"], phases.Select(p => p.GetProperty("phase").GetString()!).ToArray());
        Assert.Equal(2, phases[0].GetProperty("epochs").GetArrayLength());
        Assert.Equal(1, phases[1].GetProperty("epochs").GetArrayLength());
        Assert.True(double.IsFinite(phases[1].GetProperty("epochs")[0].GetProperty("train_loss").GetDouble()));

        Assert.True(File.Exists(fixture.Model));
        AssertPng(root.GetProperty("charts").GetProperty("curves").GetString()!, Path.Combine(Path.GetDirectoryName(fixture.Model)!, "curves.png"));
        AssertPng(root.GetProperty("charts").GetProperty("confusion").GetString()!, Path.Combine(Path.GetDirectoryName(fixture.Model)!, "confusion.png"));
    }

    [Fact]
    public void Train_Json_KeepsStdoutForTheJsonObjectOnly()
    {
        Assert.True(fixture.Train.ExitCode == TlApp.ExitOk, fixture.Train.ToString());
        Assert.StartsWith("{", fixture.Train.StdOut.TrimStart(), StringComparison.Ordinal);
        Assert.EndsWith("}", fixture.Train.StdOut.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains("Training history", fixture.Train.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_Json_CountsEveryImageOfTheFolder()
    {
        var result = CliRunner.Run("evaluate", "--model", fixture.Model, "--data", fixture.Holdout, "--json");

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        using var doc = JsonDocument.Parse(result.StdOut);
        var root = doc.RootElement;
        Assert.Equal(9, root.GetProperty("sample_count").GetInt64());
        var confusion = root.GetProperty("confusion_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        Assert.Equal(9, confusion.Sum(r => r.Sum()));
        Assert.All(confusion, row => Assert.Equal(3, row.Sum()));
        Assert.InRange(root.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.Equal(3, root.GetProperty("per_class").GetArrayLength());
    }

    [Fact]
    public void Evaluate_Table_PrintsPerClassRowsAndConfusionChart()
    {
        var chart = Path.Combine(fixture.Root, "eval-confusion.png");
        var result = CliRunner.Run("evaluate", "--model", fixture.Model, "--data", fixture.Holdout, "--confusion", chart);

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        foreach (var name in CliTestData.Classes)
        {
            Assert.Contains(name, result.StdOut, StringComparison.Ordinal);
        }

        Assert.Contains("balanced accuracy", result.StdOut, StringComparison.Ordinal);
        AssertPng(chart, chart);
    }

    [Fact]
    public void Predict_Json_ListsTopKPerImageInDescendingOrder()
    {
        var images = Directory.GetFiles(Path.Combine(fixture.Holdout, "squares")).Take(2).ToArray();
        var result = CliRunner.Run(["predict", "--model", fixture.Model, .. images, "--top", "2", "--json"]);

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        using var doc = JsonDocument.Parse(result.StdOut);
        var predictions = doc.RootElement.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(2, predictions.Length);
        foreach (var p in predictions)
        {
            var top = p.GetProperty("top").EnumerateArray().ToArray();
            Assert.Equal(2, top.Length);
            var first = top[0].GetProperty("probability").GetDouble();
            var second = top[1].GetProperty("probability").GetDouble();
            Assert.True(first >= second);
            Assert.InRange(first + second, 0, 1.0001);
            Assert.Equal(p.GetProperty("class").GetString(), top[0].GetProperty("class").GetString());
            Assert.Contains(p.GetProperty("class").GetString(), CliTestData.Classes);
        }
    }

    [Fact]
    public void Predict_Table_NamesEachImage()
    {
        var image = Directory.GetFiles(Path.Combine(fixture.Holdout, "discs"))[0];
        var result = CliRunner.Run("predict", "--model", fixture.Model, image);

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        Assert.Contains(Path.GetFileName(image), result.StdOut, StringComparison.Ordinal);
        Assert.Contains("Top 3", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_UnreadableImage_ReportsItAndExitsWithFailure()
    {
        var bad = Path.Combine(fixture.Root, "broken.png");
        File.WriteAllBytes(bad, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5]);
        var good = Directory.GetFiles(Path.Combine(fixture.Holdout, "discs"))[0];

        var result = CliRunner.Run("predict", "--model", fixture.Model, good, bad, "--json");

        Assert.Equal(TlApp.ExitFailure, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        var predictions = doc.RootElement.GetProperty("predictions").EnumerateArray().ToArray();
        Assert.Equal(JsonValueKind.String, predictions[0].GetProperty("class").ValueKind);
        Assert.False(string.IsNullOrEmpty(predictions[1].GetProperty("error").GetString()));
    }

    [Fact]
    public void ExportOnnx_Model_WritesFileThatOnnxRuntimeRunsWithDynamicBatch()
    {
        var onnx = Path.Combine(fixture.Root, "shapes.onnx");
        var result = CliRunner.Run("export-onnx", "--model", fixture.Model, "--output", onnx, "--softmax", "--json");

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.Equal(new FileInfo(onnx).Length, doc.RootElement.GetProperty("bytes").GetInt64());
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx);
        var inputName = session.InputMetadata.Keys.Single();
        foreach (var batch in new[] { 1, 3 })
        {
            var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(new float[batch * 3 * 48 * 48], [batch, 3, 48, 48]);
            using var outputs = session.Run([Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(inputName, input)]);
            var probabilities = outputs.Single().AsTensor<float>();
            Assert.Equal([batch, 3], probabilities.Dimensions.ToArray());
            Assert.Equal(1.0, probabilities.ToArray().Take(3).Sum(), 4);
        }
    }

    [Fact]
    public void LrFind_Json_ReturnsCurveAndSuggestionInsideTheSweepAndPlot()
    {
        var plot = Path.Combine(fixture.Root, "lr.png");
        var result = CliRunner.Run(
            "lr-find", "--data", fixture.Data, "--backbone", "resnet18", "--weights", "random", "--image-size", "48",
            "--batch-size", "8", "--steps", "12", "--start-lr", "1e-5", "--end-lr", "1", "--plot", plot, "--json");

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        using var doc = JsonDocument.Parse(result.StdOut);
        var root = doc.RootElement;
        var rates = root.GetProperty("learning_rates").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(rates.Length, root.GetProperty("losses").GetArrayLength());
        Assert.True(rates.Length >= 5);
        Assert.True(rates.Zip(rates.Skip(1)).All(p => p.Second > p.First));
        Assert.InRange(root.GetProperty("suggested").GetDouble(), rates[0], rates[^1]);
        Assert.Empty(root.GetProperty("trainable_blocks").EnumerateArray());
        AssertPng(plot, plot);
    }

    public static TheoryData<string[]> BadArguments() => new()
    {
        new[] { "train", "--backbone", "resnet18", "--output", "m.tlm" },
        new[] { "train", "--data", "/no/such/folder", "--backbone", "resnet18", "--output", "m.tlm" },
        new[] { "train", "--data", ".", "--backbone", "resnet999", "--output", "m.tlm" },
        new[] { "train", "--data", ".", "--backbone", "resnet18", "--output", "m.tlm", "--val-split", "1.5" },
        new[] { "train", "--data", ".", "--backbone", "resnet18", "--output", "m.tlm", "--image-size", "8" },
        new[] { "train", "--data", ".", "--backbone", "resnet18", "--output", "m.tlm", "--epochs-head", "abc" },
        new[] { "train", "--data", ".", "--backbone", "resnet18", "--output", "m.tlm", "--weights", "/no/such/weights.pth" },
        new[] { "train", "--data", ".", "--backbone", "resnet18", "--output", "m.tlm", "--cache", "--augment" },
        new[] { "evaluate", "--model", "/no/such/model.tlm", "--data", "." },
        new[] { "predict", "--model", "/no/such/model.tlm", "x.png" },
        new[] { "predict", "--model", "/no/such/model.tlm" },
        new[] { "predict", "--top", "0", "--model", "/no/such/model.tlm", "x.png" },
        new[] { "train", "--unknown-flag" },
        new[] { "lr-find", "--data", ".", "--backbone", "resnet18", "--start-lr", "1", "--end-lr", "0.1" },
        new[] { "lr-find", "--data", "/no/such/folder", "--backbone", "resnet18" },
        new[] { "export-onnx", "--model", "/no/such/model.tlm", "--output", "m.onnx" },
        new[] { "export-onnx", "--model", "/no/such/model.tlm" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void Run_BadArguments_ExitWithUsageCodeAndOneLine(string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.True(result.ExitCode == TlApp.ExitUsage, result.ToString());
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("tl: error: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut.Trim());
    }

    [Fact]
    public void Evaluate_CorruptModelFile_ExitsWithFailureAndOneLine()
    {
        var corrupt = Path.Combine(fixture.Root, "corrupt.tlm");
        File.WriteAllBytes(corrupt, [1, 2, 3, 4, 5, 6, 7, 8]);

        var result = CliRunner.Run("evaluate", "--model", corrupt, "--data", fixture.Holdout);

        Assert.Equal(TlApp.ExitFailure, result.ExitCode);
        Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static void AssertPng(string reported, string expected)
    {
        Assert.Equal(Path.GetFullPath(expected), Path.GetFullPath(reported));
        Assert.True(new FileInfo(reported).Length > 1000);
        using var bitmap = SKBitmap.Decode(reported);
        Assert.NotNull(bitmap);
        Assert.True(bitmap.Width >= 300 && bitmap.Height >= 300);
    }
}
