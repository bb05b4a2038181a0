using System.Diagnostics;
using System.Globalization;

namespace TransferLearning.Benchmarks;

/// <summary>Collects result lines (printed as they come) and timing helpers shared by the suites.</summary>
internal sealed class BenchmarkReport
{
    private readonly List<string> lines = new();

    public IReadOnlyList<string> Lines => lines;

    public void Section(string title)
    {
        Add(string.Empty);
        Add("## " + title);
    }

    public void Add(string line)
    {
        lines.Add(line);
        Console.WriteLine(line);
    }

    public void Result(string name, string value) => Add(string.Create(CultureInfo.InvariantCulture, $"| {name,-48} | {value,-40} |"));

    /// <summary>Runs <paramref name="action"/> <paramref name="warmup"/> times, then <paramref name="repeats"/> timed times; returns the seconds of each timed run.</summary>
    public static double[] Time(Action action, int warmup, int repeats)
    {
        for (var i = 0; i < warmup; i++)
        {
            action();
        }

        var seconds = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            seconds[i] = sw.Elapsed.TotalSeconds;
        }

        return seconds;
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
