using System.Diagnostics;

namespace TransferLearning.Tests.Backbones;

/// <summary>
/// Runs the TensorFlow.js reference of tests/keras-parity (Keras architectures in TensorFlow.js, pure JavaScript CPU
/// backend). Needs Node.js; installs the pinned npm packages with <c>npm ci</c> when <c>node_modules</c> is missing.
/// </summary>
internal static class KerasParity
{
    /// <summary>Why the parity tests cannot run here, or <see langword="null"/> when they can.</summary>
    public static string? SkipReason { get; } = FindSkipReason();

    /// <summary>The tests/keras-parity folder of the source tree.</summary>
    public static string Folder { get; } = FindFolder();

    /// <summary>Runs <c>node parity.js &lt;work&gt;</c>; throws with node's output when it fails.</summary>
    public static string Run(string workFolder, TimeSpan timeout)
    {
        lock (Folder)
        {
            if (!Directory.Exists(Path.Combine(Folder, "node_modules", "@tensorflow", "tfjs")))
            {
                Execute(FindOnPath("npm")!, "ci --no-audit --no-fund", TimeSpan.FromMinutes(10));
            }
        }

        return Execute(FindOnPath("node")!, $"parity.js \"{workFolder}\"", timeout);
    }

    private static string Execute(string program, string arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} {arguments} ran over {timeout}.");
        }

        string text = stdout.Result + stderr.Result;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} {arguments} exited with {process.ExitCode}:\n{text}");
        }

        return text;
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "keras-parity");
            if (File.Exists(Path.Combine(candidate, "package-lock.json")))
            {
                return candidate;
            }
        }

        return "";
    }

    private static string? FindSkipReason()
    {
        if (FindOnPath("node") is null)
        {
            return "Node.js ('node') is not on PATH: the Keras parity check runs Keras architectures in TensorFlow.js (apt-get install nodejs npm).";
        }

        if (FindFolder().Length == 0)
        {
            return "tests/keras-parity (package-lock.json) was not found above the test binaries.";
        }

        if (!Directory.Exists(Path.Combine(FindFolder(), "node_modules", "@tensorflow", "tfjs")) && FindOnPath("npm") is null)
        {
            return "tests/keras-parity/node_modules is missing and 'npm' is not on PATH to run 'npm ci'.";
        }

        return null;
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A theory that is skipped, with the reason, where the TensorFlow.js reference cannot run.</summary>
public sealed class KerasParityTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when Node.js is missing.</summary>
    public KerasParityTheoryAttribute()
    {
        if (KerasParity.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
