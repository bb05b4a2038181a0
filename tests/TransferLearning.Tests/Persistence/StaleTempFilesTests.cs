using TransferLearning.Export;
using TransferLearning.Persistence;

namespace TransferLearning.Tests.Persistence;

public sealed class StaleTempFilesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tl-stale-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Save_StaleTempFilesOfTheSameTarget_AreRemoved()
    {
        using var model = TestModels.TinyResNet();
        string path = Path.Combine(folder, "x.tlm");
        string stale = Leftover("x.tlm", age: TimeSpan.FromMinutes(5), bytes: 1000);
        string empty = Leftover("x.tlm", age: TimeSpan.FromMinutes(5), bytes: 0);
        string otherTarget = Leftover("y.tlm", age: TimeSpan.FromMinutes(5), bytes: 10);

        TransferModelFile.Save(model, path);

        Assert.False(File.Exists(stale));
        Assert.False(File.Exists(empty));
        Assert.True(File.Exists(otherTarget)); // another target's temporary file is not ours to remove
        Assert.True(File.Exists(path));
        Assert.Equal(new[] { Path.GetFileName(otherTarget), "x.tlm" }, Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Remove_TempFileStillOpenOrJustWritten_IsKept()
    {
        string target = Path.Combine(folder, "x.tlm");
        string open = Leftover("x.tlm", age: TimeSpan.FromMinutes(5), bytes: 10);
        string fresh = Leftover("x.tlm", age: TimeSpan.Zero, bytes: 10);
        string lookalike = Path.Combine(folder, ".x.tlm.not-a-guid.tmp");
        File.WriteAllText(lookalike, "user file");
        File.SetLastWriteTimeUtc(lookalike, DateTime.UtcNow.AddHours(-1));

        int removed;
        using (new FileStream(open, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            removed = StaleTempFiles.Remove(target);
        }

        Assert.Equal(0, removed);
        Assert.True(File.Exists(open));
        Assert.True(File.Exists(fresh));
        Assert.True(File.Exists(lookalike));
        Assert.Equal(1, StaleTempFiles.Remove(target)); // once closed, the old one goes; the fresh one stays
        Assert.True(File.Exists(fresh));
    }

    [Fact]
    public void OnnxExport_StaleTempFilesOfTheSameTarget_AreRemoved()
    {
        using var model = TestModels.TinyResNet();
        string path = Path.Combine(folder, "x.onnx");
        string stale = Leftover("x.onnx", age: TimeSpan.FromMinutes(5), bytes: 100);

        OnnxExporter.Export(model, path);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void Charts_StaleTempFilesOfTheSameTarget_AreRemoved()
    {
        string path = Path.Combine(folder, "lr.png");
        string stale = Leftover("lr.png", age: TimeSpan.FromMinutes(5), bytes: 100);

        TransferLearning.Cli.Output.Charts.WriteLrFinder([1e-5, 1e-4, 1e-3], [1.0, 0.8, 1.2], 1e-4, path);

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(path));
    }

    private string Leftover(string target, TimeSpan age, int bytes)
    {
        string path = Path.Combine(folder, $".{target}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(path, new byte[bytes]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }
}
