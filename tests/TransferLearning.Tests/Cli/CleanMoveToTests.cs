using System.Diagnostics;
using System.Text.Json;

namespace TransferLearning.Tests.Cli;

/// <summary><c>tl clean --move-to</c>: flagged files go to a review folder, nothing is deleted, and undo.sh puts them back.</summary>
public sealed class CleanMoveToTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("tl-clean-move-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void Clean_MoveTo_MovesDuplicateAndUndoRestoresEveryFile()
    {
        var data = Path.Combine(root, "data");
        CliTestData.WriteFolder(data, perClass: 8, size: 48, seed: 5);
        var original = Path.Combine(data, "squares", "squares_03.png");
        var copy = Path.Combine(data, "squares", "squares_copy's.png");
        File.Copy(original, copy);
        var before = Snapshot(data);
        var review = Path.Combine(root, "review");

        var result = CliRunner.Run("clean", "--data", data, "--backbone", "resnet18", "--weights", "random", "--image-size", "48",
            "--folds", "3", "--val-split", "0", "--dup-threshold", "0.9999", "--output", Path.Combine(root, "out"), "--move-to", review, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.StdOut);
        var moves = json.RootElement.GetProperty("moves").EnumerateArray().ToArray();
        Assert.Contains(moves, m => m.GetProperty("from").GetString() == copy && m.GetProperty("moved").GetBoolean());
        Assert.False(File.Exists(copy));
        var moved = moves.Where(m => m.GetProperty("moved").GetBoolean()).ToArray();
        Assert.All(moved, m => Assert.True(File.Exists(m.GetProperty("to").GetString())));
        Assert.Equal(before.Count, Snapshot(data).Count + moved.Length);

        var undo = Process.Start(new ProcessStartInfo("sh", [Path.Combine(review, "undo.sh")]) { RedirectStandardError = true })!;
        undo.WaitForExit();
        Assert.Equal(0, undo.ExitCode);
        Assert.Equal(before, Snapshot(data));
    }

    [Fact]
    public void Clean_MoveToInsideData_UsageErrorAndNothingMoved()
    {
        var data = Path.Combine(root, "data");
        CliTestData.WriteFolder(data, perClass: 3, size: 48, seed: 6);
        var before = Snapshot(data);
        var result = CliRunner.Run("clean", "--data", data, "--move-to", Path.Combine(data, "review"));
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("tl: error: --move-to", result.StdErr, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(data));
    }

    private static SortedDictionary<string, long> Snapshot(string folder) =>
        new(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => f, f => new FileInfo(f).Length), StringComparer.Ordinal);
}
