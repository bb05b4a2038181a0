using TransferLearning.Training;
using static TorchSharp.torch;
using static TransferLearning.Tests.Training.TrainingTestData;

namespace TransferLearning.Tests.Training;

[Collection(TorchRandomCollection.Name)]
public sealed class FeatureCacheTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "tl-cache-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Key_ChangesWithTransformFingerprintAndWeights()
    {
        using var model = Model();
        using var a = Source(count: 8, fingerprint: "data-1|transform-A");
        using var b = Source(count: 8, fingerprint: "data-1|transform-B");
        string keyA = FeatureCacheKey.Compute(model, a);

        Assert.Equal(keyA, FeatureCacheKey.Compute(model, a));
        Assert.NotEqual(keyA, FeatureCacheKey.Compute(model, b));
        using (no_grad())
        {
            model.Base.parameters().Last().add_(1e-3f);
        }

        Assert.NotEqual(keyA, FeatureCacheKey.Compute(model, a));
    }

    [Fact]
    public void Key_DiffersForOtherWeightsFingerprint()
    {
        using var model = Model();
        using var data = Source(count: 8, fingerprint: "x");
        using var other = Model();
        var spec = typeof(TransferModel).GetProperty(nameof(TransferModel.Spec))!;
        spec.SetValue(other, other.Spec with { WeightsFingerprint = "sha256:abc" });
        Assert.NotEqual(FeatureCacheKey.Compute(model, data), FeatureCacheKey.Compute(other, data));
    }

    [Fact]
    public void Trainer_SameKey_ReusesCache_ChangedTransformOrFineTunedBase_Rebuilds()
    {
        using var model = Model();
        using var a = Source(count: 8, fingerprint: "transform-A");
        using var b = Source(count: 8, fingerprint: "transform-B");
        using var trainer = new Trainer(model);
        trainer.Fit(a, plan: TrainingPlan.HeadOnly(2));
        Assert.Equal(1, trainer.FeatureCacheBuilds);
        trainer.Fit(a, plan: TrainingPlan.HeadOnly(1));
        Assert.Equal(1, trainer.FeatureCacheBuilds);
        trainer.Fit(b, plan: TrainingPlan.HeadOnly(1));
        Assert.Equal(2, trainer.FeatureCacheBuilds);

        // Fine-tuning changes the base, so the next frozen phase must not reuse features of the old base.
        var plan = new TrainingPlan
        {
            Phases = new[]
            {
                new TrainingPhase { Name = "ft", Epochs = 1, Blocks = BlockSelection.Top(1), LearningRate = 1e-3 },
                new TrainingPhase { Name = "head-again", Epochs = 1 },
            },
        };
        var history = trainer.Fit(b, plan: plan);
        Assert.Equal(3, trainer.FeatureCacheBuilds);
        Assert.Equal(new[] { false, true }, history.Epochs.Select(e => e.UsedFeatureCache));
    }

    [Fact]
    public void Trainer_CacheAboveMemoryLimit_SpillsToDiskAndMatchesMemoryCache()
    {
        using var data = Source(count: 12, batchSize: 4);
        var plan = TrainingPlan.HeadOnly(2, 3e-3);
        using var diskModel = Model();
        using (var diskTrainer = new Trainer(diskModel, new TrainerOptions { Seed = 2, FeatureCache = new FeatureCacheOptions { MaxMemoryBytes = 0, Directory = dir } }))
        {
            diskTrainer.Fit(data, plan: plan);
        }

        var files = Directory.GetFiles(dir);
        Assert.Single(files);
        Assert.EndsWith(".features", files[0], StringComparison.Ordinal);

        using var memoryModel = Model();
        using (var memoryTrainer = new Trainer(memoryModel, new TrainerOptions { Seed = 2 }))
        {
            memoryTrainer.Fit(data, plan: plan);
        }

        var a = State(diskModel.Head);
        var b = State(memoryModel.Head);
        Assert.All(a.Keys, k => Assert.True(Same(a[k], b[k]), $"{k}: {MaxDiff(a[k], b[k])}"));

        // A new trainer with the same key reuses the file instead of recomputing.
        using var reuseModel = Model();
        using var reuseTrainer = new Trainer(reuseModel, new TrainerOptions { Seed = 2, FeatureCache = new FeatureCacheOptions { MaxMemoryBytes = 0, Directory = dir } });
        reuseTrainer.Fit(data, plan: plan);
        Assert.Equal(0, reuseTrainer.FeatureCacheBuilds);
    }

    [Fact]
    public void Trainer_NonDeterministicSource_DoesNotCache()
    {
        using var model = Model();
        using var inner = Source(count: 8);
        var source = new AugmentedSource(inner);
        using var trainer = new Trainer(model);
        var history = trainer.Fit(source, plan: TrainingPlan.HeadOnly(1));
        Assert.False(history.Epochs[0].UsedFeatureCache);
        Assert.Equal(0, trainer.FeatureCacheBuilds);
    }

    private sealed class AugmentedSource(TensorBatchSource inner) : TransferLearning.Data.IBatchSource
    {
        public IReadOnlyList<string> ClassNames => inner.ClassNames;

        public int SampleCount => inner.SampleCount;

        public int BatchesPerEpoch => inner.BatchesPerEpoch;

        public bool IsDeterministic => false;

        public string Fingerprint => inner.Fingerprint + "|flip";

        public IEnumerable<TransferLearning.Data.ImageBatch> GetBatches(int epoch, CancellationToken cancellationToken = default) => inner.GetBatches(epoch, cancellationToken);
    }
}
