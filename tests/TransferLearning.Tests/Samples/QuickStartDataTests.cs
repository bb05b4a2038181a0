using SkiaSharp;

namespace TransferLearning.Tests.Samples;

/// <summary>The committed quick-start images: complete, decodable, and every one credited in ATTRIBUTION.md.</summary>
public sealed class QuickStartDataTests
{
    private static readonly string DataFolder = Path.Combine(FindRepositoryRoot(), "samples", "QuickStart", "data");

    [Fact]
    public void Data_FiveClasses_184Images128PxRgb()
    {
        var classes = Directory.GetDirectories(DataFolder).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["bathroom", "characters", "doors_and_windows", "lights", "vehicles"], classes);

        var files = Directory.GetFiles(DataFolder, "*.png", SearchOption.AllDirectories);
        Assert.Equal(184, files.Length);
        foreach (var file in files)
        {
            using var bitmap = SKBitmap.Decode(file);
            Assert.True(bitmap is not null, file);
            Assert.Equal(128, bitmap.Width);
            Assert.Equal(128, bitmap.Height);
        }
    }

    [Fact]
    public void Attribution_ListsEveryImageWithCreatorAndAnAllowedLicence()
    {
        var rows = File.ReadAllLines(Path.Combine(DataFolder, "ATTRIBUTION.md"))
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && l.Contains(".png |", StringComparison.Ordinal))
            .Select(l => l.Split('|', StringSplitOptions.TrimEntries))
            .ToDictionary(c => c[1], c => (Item: c[2], Creator: c[3], Licence: c[4]));
        var files = Directory.GetFiles(DataFolder, "*.png", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(DataFolder, f).Replace('\\', '/'))
            .ToArray();

        Assert.Equal(files.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (file, row) in rows)
        {
            Assert.False(string.IsNullOrWhiteSpace(row.Creator), file);
            Assert.True(row.Licence.StartsWith("CC0", StringComparison.Ordinal) || row.Licence.StartsWith("CC BY 3.0", StringComparison.Ordinal), $"{file}: {row.Licence}");
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TransferLearning.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Repository root (TransferLearning.sln) not found above " + AppContext.BaseDirectory);
    }
}
