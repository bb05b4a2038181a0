using System.Text.Json;
using TransferLearning.Backbones;
using TransferLearning.Cli;

namespace TransferLearning.Tests.Cli;

public sealed class BackbonesCommandTests
{
    [Fact]
    public void Backbones_Table_ListsEveryCatalogueEntry()
    {
        var result = CliRunner.Run("backbones");

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        foreach (var info in BackboneCatalog.All)
        {
            Assert.Contains(info.Name, result.StdOut, StringComparison.Ordinal);
        }

        Assert.Equal("", result.StdErr);
    }

    [Fact]
    public void Backbones_Json_ParsesWithBlocksAndWeights()
    {
        var result = CliRunner.Run("backbones", "--json");

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        using var doc = JsonDocument.Parse(result.StdOut);
        var entries = doc.RootElement.GetProperty("backbones").EnumerateArray().ToArray();
        Assert.Equal(BackboneCatalog.All.Count, entries.Length);
        var cntk = entries.Single(e => e.GetProperty("name").GetString() == "resnet18_cntk");
        Assert.Equal(["stem", "layer1", "layer2", "layer3", "layer4"], cntk.GetProperty("blocks").EnumerateArray().Select(b => b.GetString()!).ToArray());
        Assert.Equal(512, cntk.GetProperty("feature_channels").GetInt32());
        Assert.Equal("Onnx", cntk.GetProperty("weights")[0].GetProperty("format").GetString());
    }

    [Theory]
    [InlineData("backbones", "--bogus")]
    [InlineData("no-such-command")]
    public void Run_BadArguments_ExitsWithUsageCodeAndOneLine(params string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.Equal(TlApp.ExitUsage, result.ExitCode);
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("tl: error: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
    }
}
