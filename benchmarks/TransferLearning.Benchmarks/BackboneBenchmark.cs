using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TransferLearning;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Benchmarks;

/// <summary>
/// Issue 9: per backbone, images/s and peak RSS for (a) base forward only, (b) a training step with the base frozen,
/// (c) a step with the top blocks unfrozen, (d) a full fine-tuning step; the same with PyTorch
/// (benchmarks/pytorch/backbone_bench.py) when python3 has torch. Each measurement runs in its own process (so peak
/// RSS is per configuration), .NET and PyTorch alternate, and the median over repetitions is reported.
/// </summary>
public static class BackboneBenchmark
{
    /// <summary>Backbones, batch sizes and how many top blocks mode "top" unfreezes (same blocks as the Python script).</summary>
    public static readonly (string Name, int Batch, int TopBlocks)[] Configs =
    {
        ("resnet18", 16, 1),            // layer4
        ("mobilenet_v2", 16, 3),        // block6, block7, top
        ("mobilenet_v3_small", 16, 2),  // block5, top
        ("vgg16", 4, 1),                // block5
    };

    /// <summary>The four modes.</summary>
    public static readonly string[] Modes = { "forward", "frozen", "top", "full" };

    /// <summary>Result of one measurement.</summary>
    public sealed record Measurement(double ImagesPerSecond, double PeakRssMb);

    /// <summary>Runs one configuration in this process and prints a JSON line (child-process entry point).</summary>
    public static int RunSingle(string backbone, string mode, int batch, int iters, int warmup, int threads)
    {
        set_num_threads(threads);
        random.manual_seed(0);
        var config = Configs.First(c => c.Name == backbone);
        using var model = new TransferModelBuilder().WithBackbone(backbone).WithWeights(RandomWeights.Instance)
            .WithClassCount(10).WithSeed(0).Build();
        switch (mode)
        {
            case "full": model.UnfreezeAll(); break;
            case "top": model.UnfreezeTop(config.TopBlocks); break;
            default: model.FreezeBase(); break;
        }

        using var x = randn(batch, 3, 224, 224);
        using var y = randint(0, 10, new long[] { batch });
        var trainable = model.parameters().Where(p => p.requires_grad).ToArray();
        using var optimizer = optim.Adam(trainable, 1e-4);

        void Step()
        {
            using var scope = NewDisposeScope();
            if (mode == "forward")
            {
                model.eval();
                using var noGrad = no_grad();
                model.ExtractFeatures(x);
                return;
            }

            model.train();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
        }

        for (int i = 0; i < warmup; i++)
        {
            Step();
        }

        var times = new List<double>();
        for (int i = 0; i < iters; i++)
        {
            var sw = Stopwatch.StartNew();
            Step();
            times.Add(sw.Elapsed.TotalSeconds);
        }

        times.Sort();
        double median = times[times.Count / 2];
        Console.WriteLine(JsonSerializer.Serialize(new { images_per_s = batch / median, peak_rss_mb = Rss.PeakMb() }));
        return 0;
    }

    /// <summary>Runs every configuration, alternating .NET and PyTorch, and writes a markdown table.</summary>
    public static void Run(Action<string> emit, int repetitions, int iters, int threads, CancellationToken cancellationToken)
    {
        string? python = PythonWithTorch();
        string script = Path.Combine(RepoPaths.Root, "benchmarks", "pytorch", "backbone_bench.py");
        emit($"### Backbones: images/s (median of {repetitions} runs x {iters} steps after 2 warm-up steps), 224x224, {threads} threads");
        emit(python is null
            ? "PyTorch: skipped (no python3 with torch; `apt-get install python3-torch python3-torchvision`)."
            : $"PyTorch: {python} ({PythonVersion(python)}), same models with random weights, same head, batch and thread count.");
        emit(string.Empty);
        emit("| backbone | batch | mode | TransferLearning img/s | PyTorch img/s | ratio TL/PT | TL peak RSS MB | PT peak RSS MB |");
        emit("|---|---|---|---|---|---|---|---|");
        foreach (var (name, batch, _) in Configs)
        {
            foreach (var mode in Modes)
            {
                var dotnet = new List<Measurement>();
                var torch = new List<Measurement>();
                for (int r = 0; r < repetitions; r++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    dotnet.Add(RunChild(SelfCommand(), SelfArgs($"backbone-single {name} {mode} {batch} {iters} {threads}")));
                    if (python is not null)
                    {
                        torch.Add(RunChild(python, $"{script} --backbone {name} --mode {mode} --batch {batch} --iters {iters} --threads {threads}"));
                    }
                }

                var d = Median(dotnet);
                var p = torch.Count > 0 ? Median(torch) : null;
                emit(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {batch} | {mode} | {d.ImagesPerSecond:F1} | {(p is null ? "-" : p.ImagesPerSecond.ToString("F1", CultureInfo.InvariantCulture))} | {(p is null ? "-" : (d.ImagesPerSecond / p.ImagesPerSecond).ToString("F2", CultureInfo.InvariantCulture))} | {d.PeakRssMb:F0} | {(p is null ? "-" : p.PeakRssMb.ToString("F0", CultureInfo.InvariantCulture))} |"));
            }
        }
    }

    private static Measurement Median(List<Measurement> items)
    {
        var speeds = items.Select(m => m.ImagesPerSecond).OrderBy(v => v).ToArray();
        var rss = items.Select(m => m.PeakRssMb).OrderBy(v => v).ToArray();
        return new Measurement(speeds[speeds.Length / 2], rss[rss.Length / 2]);
    }

    internal static string SelfCommand()
    {
        string path = Environment.ProcessPath ?? "dotnet";
        return path;
    }

    internal static string SelfArgs(string args)
    {
        string path = Environment.ProcessPath ?? "dotnet";
        bool viaDotnet = Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
        return viaDotnet ? $"\"{typeof(BackboneBenchmark).Assembly.Location}\" {args}" : args;
    }

    internal static Measurement RunChild(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string? line = stdout.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{'));
        if (process.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"{file} {args} failed ({process.ExitCode}): {stderr.Result}");
        }

        using var doc = JsonDocument.Parse(line);
        return new Measurement(doc.RootElement.GetProperty("images_per_s").GetDouble(), doc.RootElement.GetProperty("peak_rss_mb").GetDouble());
    }

    internal static string? PythonWithTorch()
    {
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                var psi = new ProcessStartInfo(candidate, "-c \"import torch, torchvision\"") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
                using var p = Process.Start(psi);
                if (p is null)
                {
                    continue;
                }

                p.WaitForExit();
                if (p.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }

        return null;
    }

    private static string PythonVersion(string python)
    {
        var psi = new ProcessStartInfo(python, "-c \"import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)\"") { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        string s = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return s;
    }
}

/// <summary>Resident-set-size readings from /proc (Linux); 0 elsewhere.</summary>
public static class Rss
{
    /// <summary>Peak resident set size of this process (VmHWM), in MB.</summary>
    public static double PeakMb() => Read("VmHWM:");

    /// <summary>Current resident set size of this process (VmRSS), in MB.</summary>
    public static double CurrentMb() => Read("VmRSS:");

    private static double Read(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path))
        {
            return 0;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var kb = line[key.Length..].Trim().Split(' ')[0];
                return double.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return 0;
    }
}

/// <summary>Locates the repository root (the folder with TransferLearning.sln).</summary>
public static class RepoPaths
{
    /// <summary>The repository root.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "TransferLearning.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }
}

/// <summary>Suite wrapper for <see cref="BackboneBenchmark"/>.</summary>
internal sealed class BackboneSuite : IBenchmarkSuite
{
    public string Name => "backbones";

    public string Description => "per backbone: forward / frozen / top-unfrozen / full step images/s and peak RSS, vs PyTorch";

    public void Run(BenchmarkReport report, CancellationToken cancellationToken)
    {
        int reps = int.TryParse(Environment.GetEnvironmentVariable("TL_BENCH_REPS"), out var r) ? r : 3;
        int iters = int.TryParse(Environment.GetEnvironmentVariable("TL_BENCH_ITERS"), out var i) ? i : 4;
        BackboneBenchmark.Run(report.Add, reps, iters, Environment.ProcessorCount, cancellationToken);
    }
}
