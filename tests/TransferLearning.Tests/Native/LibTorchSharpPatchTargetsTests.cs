using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace TransferLearning.Tests.Native;

/// <summary>
/// Runs the package's buildTransitive MSBuild task (the GLIBCXX_3.4.32 fix) on a copy of TorchSharp's
/// libLibTorchSharp.so, twice at once and then again, and checks the ELF flags, the package cache and leftovers.
/// </summary>
public sealed class LibTorchSharpPatchTargetsTests : IDisposable
{
    private const string Version = "GLIBCXX_3.4.32";
    private readonly string dir = Path.Combine(Path.GetTempPath(), "tl-patch-" + Guid.NewGuid().ToString("N"));

    public LibTorchSharpPatchTargetsTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task PatchTask_TwoConcurrentBuildsThenAThird_MarksRequirementWeakOnceAndLeavesPackageCacheAlone()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the targets do nothing elsewhere (their condition is IsOSPlatform('Linux'))
        }

        string original = FindPackageLibrary();
        string originalHash = Hash(original);
        string output = Path.Combine(dir, "out", "runtimes", "linux-x64", "native");
        Directory.CreateDirectory(output);
        string copy = Path.Combine(output, "libLibTorchSharp.so");
        File.Copy(original, copy);
        Assert.Equal(0, ReadVersionFlags(File.ReadAllBytes(copy)) & 0x2);

        string project = Path.Combine(dir, "patch.proj");
        File.WriteAllText(project, $"""
            <Project>
              <Import Project="{FindTargets()}" />
              <Target Name="Run"><TransferLearningWeakenGlibcxxRequirement Directory="{Path.Combine(dir, "out")}" /></Target>
            </Project>
            """);

        var first = Task.Run(() => RunMsBuild(project));
        var second = Task.Run(() => RunMsBuild(project));
        var codes = await Task.WhenAll(first, second);
        Assert.Equal(new[] { 0, 0 }, codes);
        byte[] afterTwo = File.ReadAllBytes(copy);
        Assert.Equal(0, RunMsBuild(project));
        byte[] afterThree = File.ReadAllBytes(copy);

        bool systemHasVersion = SystemLibStdCxxHasVersion();
        Assert.Equal(systemHasVersion ? 0 : 0x2, ReadVersionFlags(afterTwo) & 0x2);
        Assert.Equal(afterTwo, afterThree); // idempotent
        Assert.Equal(new FileInfo(original).Length, afterThree.Length); // only a flag changes
        Assert.Equal(originalHash, Hash(original)); // the NuGet package cache is never modified
        Assert.Empty(Directory.GetFiles(output, "*.tmp"));
    }

    private static int RunMsBuild(string project)
    {
        var psi = new ProcessStartInfo("dotnet", $"msbuild \"{project}\" -t:Run -nologo -nodeReuse:false")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(psi)!;
        var error = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stdout + error.Result);
        return process.ExitCode;
    }

    private static string FindTargets()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "src", "TransferLearning", "buildTransitive", "TransferLearning.targets");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("TransferLearning.targets not found above the test folder.");
    }

    private static string FindPackageLibrary()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's native library is not in the package cache at {path}.");
        return path;
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    private static bool SystemLibStdCxxHasVersion()
    {
        byte[] needle = Encoding.ASCII.GetBytes(Version + "\0");
        foreach (var candidate in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" })
        {
            if (File.Exists(candidate))
            {
                return File.ReadAllBytes(candidate).AsSpan().IndexOf(needle) >= 0;
            }
        }

        return false;
    }

    /// <summary>vna_flags of the GLIBCXX_3.4.32 entry of .gnu.version_r (independent reading of the ELF file).</summary>
    private static int ReadVersionFlags(byte[] elf)
    {
        var span = elf.AsSpan();
        long shoff = BitConverter.ToInt64(span[0x28..]);
        int shentsize = BitConverter.ToUInt16(span[0x3A..]);
        int shnum = BitConverter.ToUInt16(span[0x3C..]);
        for (int i = 0; i < shnum; i++)
        {
            var sh = span[(int)(shoff + (i * shentsize))..];
            if (BitConverter.ToUInt32(sh[4..]) != 0x6ffffffe)
            {
                continue;
            }

            int offset = (int)BitConverter.ToInt64(sh[24..]);
            int link = (int)BitConverter.ToUInt32(sh[40..]);
            int strtab = (int)BitConverter.ToInt64(span[(int)(shoff + (link * shentsize) + 24)..]);
            int vn = offset;
            for (int n = 0; n < BitConverter.ToUInt32(sh[44..]); n++)
            {
                int vna = vn + (int)BitConverter.ToUInt32(span[(vn + 8)..]);
                for (int a = 0; a < BitConverter.ToUInt16(span[(vn + 2)..]); a++)
                {
                    int name = strtab + (int)BitConverter.ToUInt32(span[(vna + 8)..]);
                    int end = span[name..].IndexOf((byte)0);
                    if (Encoding.ASCII.GetString(span.Slice(name, end)) == Version)
                    {
                        return BitConverter.ToUInt16(span[(vna + 4)..]);
                    }

                    vna += (int)BitConverter.ToUInt32(span[(vna + 12)..]);
                }

                vn += (int)BitConverter.ToUInt32(span[(vn + 12)..]);
            }
        }

        throw new InvalidDataException($"{Version} is not required by this library.");
    }
}
