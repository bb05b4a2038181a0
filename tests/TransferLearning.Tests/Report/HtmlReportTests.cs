using TransferLearning.Cli.Report;

namespace TransferLearning.Tests.Report;

/// <summary><see cref="HtmlReport"/> on a synthetic report: self-contained, every section, valid SVG and images, escaped text.</summary>
public sealed class HtmlReportTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tl-report-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Render_SyntheticRun_SelfContainedWithEverySection()
    {
        var html = HtmlReport.Render(SyntheticReport.Create(Path.Combine(folder, "data")));

        HtmlAssert.SelfContained(html);
        foreach (var id in new[] { "settings", "curves", "metrics", "confusion", "most-confused", "top-losses", "skipped" })
        {
            Assert.Contains($"<section id=\"{id}\">", html, StringComparison.Ordinal);
        }

        Assert.Equal(3, HtmlAssert.ValidSvgs(html)); // loss, accuracy, per-class scores
        Assert.Equal(6, HtmlAssert.ValidDataImages(html)); // the top-losses gallery
        Assert.Contains("Row-normalised", html, StringComparison.Ordinal);
        Assert.Contains("broken.png", html, StringComparison.Ordinal);
        Assert.Contains("Corrupt", html, StringComparison.Ordinal);
        Assert.Contains("Synthetic &lt;report&gt; &amp; test", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<report>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NoHistory_SaysSoAndDrawsOnlyTheScoreChart()
    {
        var data = SyntheticReport.Create(Path.Combine(folder, "data")) with { History = null };
        var html = HtmlReport.Render(data);
        Assert.Contains("No training history", html, StringComparison.Ordinal);
        Assert.Equal(1, HtmlAssert.ValidSvgs(html));
    }

    [Fact]
    public void MostConfused_CountsOffDiagonalCellsLargestFirst()
    {
        var data = SyntheticReport.Create(Path.Combine(folder, "data"));
        var metrics = ReportBuilder.Metrics(["a", "b", "c"],
        [
            new SampleResult("1", 0, [0.1f, 0.8f, 0.1f]),
            new SampleResult("2", 0, [0.1f, 0.8f, 0.1f]),
            new SampleResult("3", 2, [0.7f, 0.2f, 0.1f]),
            new SampleResult("4", 1, [0.1f, 0.8f, 0.1f]),
        ]);
        var pairs = ReportBuilder.MostConfused(metrics);
        Assert.Equal([new ConfusedPair("a", "b", 2), new ConfusedPair("c", "a", 1)], pairs);
        Assert.Equal(0.25, metrics.Accuracy, 6);
        Assert.NotNull(data);
    }
}
