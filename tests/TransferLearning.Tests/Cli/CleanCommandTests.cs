using System.Text.Json;
using Xunit.Abstractions;

namespace TransferLearning.Tests.Cli;

/// <summary><c>tl clean</c> on real renders with labels flipped on purpose and duplicates injected across train and validation.</summary>
public sealed class CleanCommandTests : IClassFixture<FlippedLabelsFixture>
{
    private readonly FlippedLabelsFixture fixture;
    private readonly ITestOutputHelper output;

    public CleanCommandTests(FlippedLabelsFixture fixture, ITestOutputHelper output)
    {
        this.fixture = fixture;
        this.output = output;
    }

    private JsonElement Root
    {
        get
        {
            Assert.True(fixture.Json is not null, fixture.Clean.ToString());
            return fixture.Json!.RootElement;
        }
    }

    /// <summary>
    /// Measured (seed 20261202): see the README's "Look and clean" section for the figures this run printed.
    /// </summary>
    [Fact]
    public void Clean_FivePercentFlippedLabels_TopKFindsHalfWithPrecisionAboveHalf()
    {
        var issues = Root.GetProperty("label_issues").EnumerateArray().Select(e => e.GetProperty("path").GetString()!).ToArray();
        int k = FlippedLabelsFixture.FlipCount;
        int hitsAtK = issues.Take(k).Count(fixture.FlippedFiles.Contains);
        int hitsAll = issues.Count(fixture.FlippedFiles.Contains);
        output.WriteLine($"flagged {issues.Length}; top-{k}: {hitsAtK} flipped (precision {(double)hitsAtK / k:P0}, recall {(double)hitsAtK / k:P0}); "
            + $"whole list: {hitsAll}/{fixture.FlippedFiles.Count} flipped found, precision {(issues.Length == 0 ? 0 : (double)hitsAll / issues.Length):P0}; "
            + $"out-of-fold accuracy {Root.GetProperty("out_of_fold_accuracy").GetDouble():P1}");

        Assert.True(hitsAtK * 2 >= fixture.FlippedFiles.Count, $"only {hitsAtK} of {fixture.FlippedFiles.Count} flipped images in the top {k}");
        Assert.True((double)hitsAtK / Math.Min(k, issues.Length) > 0.5, $"precision at {k}: {hitsAtK}/{k}");
        foreach (var e in Root.GetProperty("label_issues").EnumerateArray().Take(k).Where(e => fixture.FlippedFiles.Contains(e.GetProperty("path").GetString()!)))
        {
            // A flipped image's suggested class is its true class: the folder it came from is not the one it is in now.
            Assert.NotEqual(e.GetProperty("given").GetString(), e.GetProperty("suggested").GetString());
        }
    }

    [Fact]
    public void Clean_ExactAndResizedCopiesInValidation_ReportedAsLeaks()
    {
        var pairs = Root.GetProperty("duplicates").EnumerateArray().ToArray();
        JsonElement Find(string a, string b) => Assert.Single(pairs, p =>
            (p.GetProperty("path_a").GetString() == a && p.GetProperty("path_b").GetString() == b)
            || (p.GetProperty("path_a").GetString() == b && p.GetProperty("path_b").GetString() == a));

        var exact = Find(fixture.ExactSource, fixture.ExactCopy);
        Assert.True(exact.GetProperty("is_exact").GetBoolean());
        Assert.True(exact.GetProperty("is_leak").GetBoolean());
        Assert.True(exact.GetProperty("similarity").GetDouble() > 0.999);

        var resized = Find(fixture.ResizedSource, fixture.ResizedCopy);
        Assert.False(resized.GetProperty("is_exact").GetBoolean());
        Assert.True(resized.GetProperty("is_leak").GetBoolean());
        output.WriteLine($"resized copy cosine {resized.GetProperty("similarity").GetDouble():F4}; {pairs.Length} pairs, {Root.GetProperty("leaks").GetInt32()} leaks");
        Assert.True(Root.GetProperty("leaks").GetInt32() >= 2);
    }

    [Fact]
    public void Clean_Run_WritesPageCsvAndJsonWithoutTouchingTheData()
    {
        Assert.Equal(0, fixture.Clean.ExitCode);
        foreach (var name in new[] { "clean.html", "label-issues.csv", "duplicates.csv", "clean.json" })
        {
            Assert.True(File.Exists(Path.Combine(fixture.Output, name)), name);
        }

        var html = File.ReadAllText(Path.Combine(fixture.Output, "clean.html"));
        Assert.DoesNotMatch("(src|href)=\"https?:", html);
        Assert.Contains("id=\"label-issues\"", html, StringComparison.Ordinal);
        Assert.Contains("LEAK", html, StringComparison.Ordinal);
        Assert.Contains("data:image/jpeg;base64,", html, StringComparison.Ordinal);

        var csv = File.ReadAllLines(Path.Combine(fixture.Output, "label-issues.csv"));
        Assert.Equal("rank,path,set,given,suggested,self_confidence,suggested_probability", csv[0]);
        Assert.Equal(Root.GetProperty("label_issues").GetArrayLength(), csv.Length - 1);
        Assert.Equal(186, Directory.GetFiles(fixture.Root, "*.png", SearchOption.AllDirectories).Length);
    }
}
