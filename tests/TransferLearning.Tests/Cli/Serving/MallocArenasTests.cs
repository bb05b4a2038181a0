using TransferLearning.Cli.Serving;

namespace TransferLearning.Tests.Cli.Serving;

public sealed class MallocArenasTests
{
    [Fact]
    public void Limit_OnGlibcLinux_IsApplied()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/lib/x86_64-linux-gnu/libc.so.6") || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null)
        {
            return;
        }

        Assert.True(MallocArenas.Limit(8));
    }
}
