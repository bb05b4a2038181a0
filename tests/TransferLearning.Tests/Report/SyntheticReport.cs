using TransferLearning.Cli.Output;
using TransferLearning.Cli.Report;
using TransferLearning.Data;
using TransferLearning.Tests.Cli;

namespace TransferLearning.Tests.Report;

/// <summary>A report over generated images and made-up probabilities (no model, no torch): fast input for page tests.</summary>
internal static class SyntheticReport
{
    public static ReportData Create(string folder)
    {
        CliTestData.WriteFolder(folder, perClass: 4, size: 64, seed: 3);
        var classes = CliTestData.Classes;
        var random = new Random(4);
        var samples = new List<SampleResult>();
        foreach (var (name, c) in classes.Select((n, i) => (n, i)))
        {
            foreach (var file in Directory.GetFiles(Path.Combine(folder, name)).Order(StringComparer.Ordinal))
            {
                var p = Enumerable.Range(0, classes.Length).Select(_ => (float)random.NextDouble()).ToArray();
                p[c] += 0.8f;
                var sum = p.Sum();
                samples.Add(new SampleResult(file, c, p.Select(v => v / sum).ToArray()));
            }
        }

        var broken = Path.Combine(folder, classes[0], "broken.png");
        File.WriteAllText(broken, "not an image");
        EpochPoint[] history =
        [
            new("feature-extraction", 1, 1.0, 0.5, 0.9, 0.6, 1e-3, 2),
            new("feature-extraction", 2, 0.8, 0.7, 0.7, 0.7, 1e-3, 2),
            new("fine-tuning", 3, 0.6, 0.8, 0.6, 0.8, 1e-5, 4),
        ];
        return new ReportData
        {
            Title = "Synthetic <report> & test",
            DataDescription = "generated shapes",
            Settings = [new("--data", folder), new("--seed", "7")],
            Timings = [new("feature-extraction (2 epochs)", 4), new("fine-tuning (1 epochs)", 4)],
            History = history,
            Metrics = ReportBuilder.Metrics(classes, samples),
            Samples = samples,
            Skipped = [new BadFileEntry(broken, 0, BadFileReason.Corrupt, "broken.png: not a decodable image")],
            TopLosses = 6,
        };
    }
}
