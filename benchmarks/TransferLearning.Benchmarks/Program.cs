using System.Diagnostics;
using System.Globalization;
using TransferLearning.Benchmarks;

// Benchmark runner: `dotnet run -c Release --project benchmarks/TransferLearning.Benchmarks -- <suite>|all`.
// Each suite lives in its own file and is registered here.
if (args.Length == 6 && args[0] == "backbone-single")
{
    // Child process of the backbones suite: one configuration, one JSON line.
    return BackboneBenchmark.RunSingle(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture), 2, int.Parse(args[5], CultureInfo.InvariantCulture));
}

IBenchmarkSuite[] suites =
{
    new DataPipelineBenchmark(),
    new BackboneSuite(),
    new TrainerSuite(),
    new EngineOverheadSuite(),
    new ServeLoadSuite(),
};

var selected = args.Length == 0 ? "all" : args[0].ToLowerInvariant();
if (selected is "-h" or "--help" || (selected != "all" && suites.All(s => s.Name != selected)))
{
    Console.WriteLine("usage: TransferLearning.Benchmarks <suite>|all");
    foreach (var s in suites)
    {
        Console.WriteLine($"  {s.Name,-10} {s.Description}");
    }

    return selected is "-h" or "--help" ? 0 : 2;
}

var report = new BenchmarkReport();
report.Add(string.Create(CultureInfo.InvariantCulture, $"# TransferLearning benchmarks ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {(Debugger.IsAttached ? "debugger" : "no debugger")})"));
report.Add($"Machine: {MachineInfo.Describe()}");
using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};

var total = Stopwatch.StartNew();
foreach (var suite in suites.Where(s => selected == "all" || s.Name == selected))
{
    report.Section($"{suite.Name}: {suite.Description}");
    suite.Run(report, cts.Token);
}

report.Add(string.Empty);
report.Add(string.Create(CultureInfo.InvariantCulture, $"Total time: {total.Elapsed.TotalSeconds:F0} s"));
return 0;
