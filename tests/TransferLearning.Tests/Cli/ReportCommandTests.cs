using System.Text.Json;
using TransferLearning.Tests.Report;

namespace TransferLearning.Tests.Cli;

/// <summary><c>tl train</c> writes report.html beside the model; <c>tl report</c> makes one for any labelled folder.</summary>
public sealed class ReportCommandTests : IClassFixture<TrainedModelFixture>
{
    private readonly TrainedModelFixture fixture;

    public ReportCommandTests(TrainedModelFixture fixture) => this.fixture = fixture;

    [Fact]
    public void Train_WritesReportBesideModel_SelfContainedWithCurvesAndTopLosses()
    {
        Assert.True(fixture.Train.ExitCode == 0, fixture.Train.ToString());
        var path = Path.Combine(Path.GetDirectoryName(fixture.Model)!, "report.html");
        Assert.True(File.Exists(path), path);
        var html = File.ReadAllText(path);

        HtmlAssert.SelfContained(html);
        Assert.Equal(3, HtmlAssert.ValidSvgs(html));
        Assert.True(HtmlAssert.ValidDataImages(html) > 0);
        Assert.Contains("feature-extraction", html, StringComparison.Ordinal);
        Assert.Contains("fine-tuning", html, StringComparison.Ordinal);
        Assert.Contains("--epochs-head", html, StringComparison.Ordinal);
        Assert.Contains("Validation set: 9 images", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_FolderWithUnreadableFile_WritesPageListingTheSkippedFile()
    {
        var data = Path.Combine(fixture.Root, "report-data");
        CliTestData.WriteFolder(data, perClass: 2, size: 48, seed: 11);
        File.WriteAllBytes(Path.Combine(data, CliTestData.Classes[1], "truncated.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]);
        var output = Path.Combine(fixture.Root, "reports", "holdout.html");

        var result = CliRunner.Run("report", "--model", fixture.Model, "--data", data, "--output", output, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(output, json.RootElement.GetProperty("report").GetString());
        Assert.Equal(6, json.RootElement.GetProperty("sample_count").GetInt64());
        Assert.Equal(1, json.RootElement.GetProperty("skipped").GetArrayLength());
        var html = File.ReadAllText(output);
        HtmlAssert.SelfContained(html);
        Assert.Contains("truncated.png", html, StringComparison.Ordinal);
        Assert.Contains("No training history", html, StringComparison.Ordinal);
        Assert.Equal(6, HtmlAssert.ValidDataImages(html));
    }

    [Fact]
    public void Report_DefaultOutput_BesideModelNamedAfterFolder()
    {
        var result = CliRunner.Run("report", "--model", fixture.Model, "--data", fixture.Holdout);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(fixture.Model)!, "report-holdout.html")));
    }

    [Fact]
    public void Report_MissingModel_UsageError()
    {
        var result = CliRunner.Run("report", "--model", Path.Combine(fixture.Root, "nope.tlm"), "--data", fixture.Holdout);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("tl: error: --model", result.StdErr, StringComparison.Ordinal);
    }
}
