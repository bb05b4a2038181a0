using System.Diagnostics;
using System.Text;
using TransferLearning.Cli;

namespace TransferLearning.Tests.Cli;

/// <summary>SIGTERM is handled like Ctrl+C: the run stops, says so, exits 143 and leaves neither a model nor a temporary file.</summary>
public sealed class SigTermTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("tl-sigterm-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task Train_SigTerm_StopsCleanlyWithExit143AndNoFiles()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return; // POSIX signals only
        }

        var data = Path.Combine(root, "data");
        CliTestData.WriteFolder(data, perClass: 6, size: 40, seed: 5);
        var output = Path.Combine(root, "out");
        var model = Path.Combine(output, "m.tlm");
        var tl = Path.Combine(AppContext.BaseDirectory, "tl.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     tl, "train", "--data", data, "--backbone", "resnet18", "--weights", "random", "--image-size", "32",
                     "--epochs-head", "1000", "--epochs-finetune", "0", "--batch-size", "4", "--output", model,
                 })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var training = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (stdout)
            {
                stdout.AppendLine(e.Data);
            }

            if (e.Data.Contains("Model", StringComparison.Ordinal))
            {
                training.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Wait until the model is built and training runs, then a little more, then SIGTERM.
            await training.Task.WaitAsync(TimeSpan.FromSeconds(120));
            await Task.Delay(TimeSpan.FromSeconds(2));
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        string log = $"stdout:\n{stdout}\nstderr:\n{stderr}";
        Assert.True(process.ExitCode == TlApp.ExitTerminated, $"exit {process.ExitCode}\n{log}");
        Assert.Contains("tl: error: cancelled.", stderr.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(model), log);
        Assert.Empty(Directory.Exists(output) ? Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories) : []);
    }
}
