using System.Diagnostics;
using System.Globalization;
using TransferLearning.Training;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Benchmarks;

/// <summary>
/// Issue 6: the trainer on ResNet18 at 224 px (random weights, 64 synthetic images, batch 16, 3 classes):
/// (1) seconds per head epoch with and without the feature cache, and the ratio;
/// (2) the trainer's step time against a bare TorchSharp loop doing the same step (top block unfrozen), as overhead %;
/// (3) process RSS after epochs 2 and 10 of a small fine-tuning run (native memory must not grow).
/// </summary>
public static class TrainerBenchmark
{
    private const int Images = 64;
    private const int Batch = 16;
    private const int Size = 224;

    /// <summary>Runs every measurement and writes a plain-text report.</summary>
    /// <param name="output">Where the report goes.</param>
    public static void Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine($"TrainerBenchmark: resnet18 {Size}px, {Images} images, batch {Batch}, {get_num_threads()} threads, {Environment.ProcessorCount} cores");
        using var data = MakeData();

        // (1) Head epochs with and without the cache. The cached run's first epoch includes computing the features.
        var noCache = HeadEpochs(data, cache: false, epochs: 3);
        var cache = HeadEpochs(data, cache: true, epochs: 4);
        double noCacheEpoch = Median(noCache);
        double cacheEpoch = Median(cache.Skip(1));
        output.WriteLine(string.Format(inv, "head epoch without cache: {0:F2} s (epochs: {1})", noCacheEpoch, Join(noCache)));
        output.WriteLine(string.Format(inv, "head epoch with cache:    {0:F4} s (first epoch incl. feature extraction {1:F2} s; epochs: {2})", cacheEpoch, cache[0], Join(cache)));
        output.WriteLine(string.Format(inv, "cache speed-up: {0:F0}x", noCacheEpoch / cacheEpoch));

        // (2) Trainer vs bare loop, same step (layer4 + head trainable, Adam, batch 16), alternating rounds.
        var trainerTimes = new List<double>();
        var bareTimes = new List<double>();
        for (int round = 0; round < 3; round++)
        {
            bareTimes.Add(BareStepSeconds(data, epochs: 2));
            trainerTimes.Add(TrainerStepSeconds(data, epochs: 2));
        }

        double bare = Median(bareTimes), trainer = Median(trainerTimes);
        output.WriteLine(string.Format(inv, "step (layer4+head, Adam): bare loop {0:F3} s, trainer {1:F3} s, overhead {2:+0.0;-0.0}% (rounds bare {3}; trainer {4})",
            bare, trainer, (trainer / bare - 1) * 100, Join(bareTimes), Join(trainerTimes)));

        // (3) RSS over 10 fine-tuning epochs.
        var rss = RssOverEpochs(data, epochs: 10);
        output.WriteLine(string.Format(inv, "RSS after epoch 2: {0:F0} MB, after epoch 10: {1:F0} MB (growth {2:+0;-0} MB); per epoch: {3}",
            rss[1], rss[9], rss[9] - rss[1], string.Join(", ", rss.Select(r => r.ToString("F0", inv)))));
    }

    private static TensorBatchSource MakeData()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(0);
        var labels = arange(Images, ScalarType.Int64) % 3;
        var images = randn(Images, 3, Size, Size);
        return new TensorBatchSource(images, labels, new[] { "a", "b", "c" }, Batch, shuffle: true, seed: 1);
    }

    private static TransferModel MakeModel() => new TransferModelBuilder().WithBackbone("resnet18").WithWeights(RandomWeights.Instance)
        .WithClassCount(3).WithInputSize(Size).WithSeed(0).Build();

    private static double[] HeadEpochs(TensorBatchSource data, bool cache, int epochs)
    {
        using var model = MakeModel();
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 0, FeatureCache = new FeatureCacheOptions { Enabled = cache } });
        return trainer.Fit(data, plan: TrainingPlan.HeadOnly(epochs)).Epochs.Select(e => e.Seconds).ToArray();
    }

    private static double TrainerStepSeconds(TensorBatchSource data, int epochs)
    {
        using var model = MakeModel();
        var plan = new TrainingPlan { Phases = new[] { new TrainingPhase { Name = "ft", Epochs = epochs + 1, Blocks = BlockSelection.Top(1), LearningRate = 1e-4 } } };
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 0, RestoreBestWeightsOnCancel = false });
        var history = trainer.Fit(data, plan: plan);
        return history.Epochs.Skip(1).Sum(e => e.Seconds) / (epochs * data.BatchesPerEpoch); // first epoch is warm-up
    }

    private static double BareStepSeconds(TensorBatchSource data, int epochs)
    {
        using var model = MakeModel();
        model.UnfreezeTop(1);
        var parameters = model.parameters().Where(p => p.requires_grad).ToArray();
        using var optimizer = optim.Adam(parameters, lr: 1e-4);
        random.manual_seed(0);
        var clock = new Stopwatch();
        model.train();
        for (int epoch = 0; epoch <= epochs; epoch++)
        {
            if (epoch == 1)
            {
                clock.Start(); // epoch 0 is warm-up
            }

            foreach (var batch in data.GetBatches(epoch))
            {
                using (batch)
                {
                    using var scope = NewDisposeScope();
                    optimizer.zero_grad();
                    var logits = model.call(batch.Images);
                    var loss = nn.functional.cross_entropy(logits, batch.Labels);
                    _ = loss.item<float>();
                    loss.backward();
                    optimizer.step();
                    _ = logits.argmax(1).eq(batch.Labels).sum().item<long>();
                }
            }
        }

        return clock.Elapsed.TotalSeconds / (epochs * data.BatchesPerEpoch);
    }

    private static double[] RssOverEpochs(TensorBatchSource data, int epochs)
    {
        using var model = MakeModel();
        var rss = new List<double>();
        var probe = new DelegateCallback
        {
            EpochEnd = _ =>
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                using var process = Process.GetCurrentProcess();
                process.Refresh();
                rss.Add(process.WorkingSet64 / (1024.0 * 1024.0));
            },
        };
        var plan = new TrainingPlan { Phases = new[] { new TrainingPhase { Name = "ft", Epochs = epochs, Blocks = BlockSelection.Top(1), LearningRate = 1e-4 } } };
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 0 });
        trainer.Fit(data, data, plan, new[] { probe });
        return rss.ToArray();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Join(IEnumerable<double> values) => string.Join(", ", values.Select(v => v.ToString("F3", CultureInfo.InvariantCulture)));
}

/// <summary>Adapter that runs <see cref="TrainerBenchmark"/> as a suite of the benchmark runner ("trainer").</summary>
internal sealed class TrainerSuite : IBenchmarkSuite
{
    /// <inheritdoc/>
    public string Name => "trainer";

    /// <inheritdoc/>
    public string Description => "ResNet18 224: head epoch with/without feature cache, trainer step vs bare loop, RSS over 10 epochs";

    /// <inheritdoc/>
    public void Run(BenchmarkReport report, CancellationToken cancellationToken)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        TrainerBenchmark.Run(writer);
        foreach (var line in writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            report.Add(line.TrimEnd('\r'));
        }
    }
}
