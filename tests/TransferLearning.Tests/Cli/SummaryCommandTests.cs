using System.Text.Json;
using TransferLearning.Cli;
using TransferLearning.Persistence;
using TransferLearning.Weights;

namespace TransferLearning.Tests.Cli;

public sealed class SummaryCommandTests
{
    [Fact]
    public void Summary_Backbone_PrintsBlocksAndResNet18ParameterCount()
    {
        var result = CliRunner.Run("summary", "--backbone", "resnet18", "--input-size", "64");

        Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
        Assert.Contains("layer4", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("(N, 512, 2, 2)", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("base 11,176,512", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("Frozen params: 11,176,512", result.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_ModelJson_ReportsTrainableTopBlockAndTotals()
    {
        string path = Path.Combine(Path.GetTempPath(), $"tl-summary-{Guid.NewGuid():N}.tlm");
        try
        {
            using (var model = new TransferModelBuilder().WithBackbone("mobilenet_v2").WithWeights(RandomWeights.Instance)
                .WithClassCount(3).WithInputSize(64).WithSeed(1).Build())
            {
                TransferModelFile.Save(model, path);
            }

            var result = CliRunner.Run("summary", "--model", path, "--unfreeze", "1", "--json");

            Assert.True(result.ExitCode == TlApp.ExitOk, result.ToString());
            using var doc = JsonDocument.Parse(result.StdOut);
            var root = doc.RootElement;
            var blocks = root.GetProperty("blocks").EnumerateArray().ToArray();
            Assert.True(blocks[^1].GetProperty("trainable").GetBoolean());
            Assert.False(blocks[0].GetProperty("trainable").GetBoolean());
            long baseParams = blocks.Sum(b => b.GetProperty("parameters").GetInt64());
            Assert.Equal(3_504_872 - 1_281_000, baseParams);
            Assert.Equal(root.GetProperty("total_parameters").GetInt64(), root.GetProperty("trainable_parameters").GetInt64() + root.GetProperty("frozen_parameters").GetInt64());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("summary")]
    [InlineData("summary", "--backbone", "resnet18", "--model", "x.tlm")]
    [InlineData("summary", "--backbone", "nope")]
    [InlineData("summary", "--backbone", "resnet18", "--device", "gpu")]
    [InlineData("summary", "--backbone", "resnet18", "--truncate-after", "layer9")]
    public void Summary_BadArguments_OneLineUsageError(params string[] args)
    {
        var result = CliRunner.Run(args);

        Assert.True(result.ExitCode == TlApp.ExitUsage, result.ToString());
        Assert.StartsWith("tl: error:", result.StdErr, StringComparison.Ordinal);
        Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Summary_CudaWithoutCudaBackend_NamesTheCudaPackage()
    {
        Assert.False(ComputeDevice.IsCudaAvailable, "this test checks the error on a machine without CUDA");

        var result = CliRunner.Run("summary", "--backbone", "resnet18", "--device", "cuda:0");

        Assert.True(result.ExitCode == TlApp.ExitFailure, result.ToString());
        Assert.Contains("TorchSharp-cuda-linux", result.StdErr, StringComparison.Ordinal);
        Assert.Single(result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
