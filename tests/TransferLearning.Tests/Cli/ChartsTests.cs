using SkiaSharp;
using TransferLearning.Cli.Output;

namespace TransferLearning.Tests.Cli;

public sealed class ChartsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tl-charts-").FullName;

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("TL_KEEP_CHARTS") is { Length: > 0 } keep)
        {
            foreach (var file in Directory.GetFiles(folder))
            {
                File.Copy(file, Path.Combine(keep, Path.GetFileName(file)), overwrite: true);
            }
        }

        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void WriteCurves_TwoPhases_WritesDecodablePngAndNoTempFile()
    {
        var history = new[]
        {
            new EpochPoint("feature-extraction", 1, 1.2, 0.5, 1.0, 0.6, 1e-3, 1),
            new EpochPoint("feature-extraction", 2, 0.8, 0.7, 0.7, 0.75, 1e-3, 1),
            new EpochPoint("fine-tuning", 3, 0.5, 0.85, 0.5, 0.8, 1e-4, 2),
            new EpochPoint("fine-tuning", 4, 0.4, 0.9, 0.45, 0.85, 1e-4, 2),
        };
        var path = Path.Combine(folder, "curves.png");

        Charts.WriteCurves(history, path);

        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal(900, bitmap.Width);
        Assert.Equal(700, bitmap.Height);
        Assert.Single(Directory.GetFiles(folder));
    }

    [Fact]
    public void WriteCurves_EmptyHistory_Throws()
    {
        Assert.Throws<ArgumentException>(() => Charts.WriteCurves(Array.Empty<EpochPoint>(), Path.Combine(folder, "c.png")));
    }

    [Fact]
    public void WriteConfusion_ThreeClasses_WritesDecodablePng()
    {
        var path = Path.Combine(folder, "confusion.png");
        long[][] matrix = [[5, 1, 0], [0, 6, 0], [2, 0, 4]];

        Charts.WriteConfusion(["bathroom", "lights", "vehicles"], matrix, path);

        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.True(bitmap.Width > 100 && bitmap.Height > 100);
    }

    [Fact]
    public void WriteConfusion_NotSquare_Throws()
    {
        long[][] matrix = [[1, 2], [3, 4]];
        Assert.Throws<ArgumentException>(() => Charts.WriteConfusion(["a", "b", "c"], matrix, Path.Combine(folder, "c.png")));
    }

    [Fact]
    public void WriteLrFinder_Sweep_WritesDecodablePng()
    {
        var rates = Enumerable.Range(0, 30).Select(i => 1e-6 * Math.Pow(10, i / 5.0)).ToArray();
        var losses = rates.Select(r => 2 - Math.Log10(r / 1e-6) * 0.2 + (r > 1e-2 ? 5 : 0)).ToArray();
        var path = Path.Combine(folder, "lr.png");

        Charts.WriteLrFinder(rates, losses, 1e-3, path);

        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
    }
}
