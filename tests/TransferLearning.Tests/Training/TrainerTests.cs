using TransferLearning.Training;
using static TorchSharp.torch;
using static TransferLearning.Tests.Training.TrainingTestData;

namespace TransferLearning.Tests.Training;

[Collection(TorchRandomCollection.Name)]
public class TrainerTests
{
    private static readonly TrainerOptions NoCache = new() { Seed = 7, FeatureCache = new FeatureCacheOptions { Enabled = false } };

    [Fact]
    public void Fit_HeadPhase_LossGoesDown()
    {
        using var model = Model();
        using var data = Source();
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 7 });
        var history = trainer.Fit(data, plan: TrainingPlan.HeadOnly(6, 3e-3));

        Assert.Equal(6, history.Epochs.Count);
        Assert.False(history.WasCancelled);
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss * 0.8,
            $"loss {history.Epochs[0].TrainLoss} -> {history.Epochs[^1].TrainLoss}");
        Assert.All(history.Epochs, e => Assert.True(e.UsedFeatureCache));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fit_FeatureExtractionPhase_BaseParametersAndBatchNormStatsBitwiseUnchanged(bool cache)
    {
        using var model = Model();
        using var data = Source();
        var before = State(model.Base);
        var headBefore = State(model.Head);
        var options = cache ? new TrainerOptions { Seed = 7 } : NoCache;
        using var trainer = new Trainer(model, options);
        var history = trainer.Fit(data, data, TrainingPlan.HeadOnly(2, 1e-2));

        var after = State(model.Base);
        Assert.Contains(before.Keys, k => k.EndsWith("running_mean", StringComparison.Ordinal));
        foreach (var (name, values) in before)
        {
            Assert.True(Same(values, after[name]), $"{name} changed");
        }

        var headAfter = State(model.Head);
        Assert.Contains(headBefore.Keys, k => !Same(headBefore[k], headAfter[k]));
        Assert.All(history.Epochs, e => Assert.Equal(cache, e.UsedFeatureCache));
        Assert.NotNull(history.Epochs[^1].Validation);
    }

    [Fact]
    public void Fit_FineTuningTopBlock_OnlyThatBlockAndHeadChange()
    {
        using var model = Model();
        using var data = Source();
        var groupsBefore = model.GetParameterGroups().ToDictionary(g => g.Name, g => g.Parameters.Select(p => p.detach().clone().data<float>().ToArray()).ToArray());
        var buffersBefore = model.named_buffers().Where(b => b.buffer.dtype == ScalarType.Float32).ToDictionary(b => b.name, b => b.buffer.data<float>().ToArray());
        var plan = new TrainingPlan { Phases = new[] { new TrainingPhase { Name = "ft", Epochs = 1, Blocks = BlockSelection.Top(1), LearningRate = 1e-3 } } };
        using var trainer = new Trainer(model, NoCache);
        var history = trainer.Fit(data, plan: plan);

        Assert.Equal(new[] { "layer4" }, history.Epochs[0].TrainableBlocks);
        foreach (var group in model.GetParameterGroups())
        {
            var now = group.Parameters.Select(p => p.data<float>().ToArray()).ToArray();
            bool changed = now.Where((v, i) => !Same(v, groupsBefore[group.Name][i])).Any();
            bool shouldChange = group.Name is "layer4" or "head";
            Assert.True(changed == shouldChange, $"group {group.Name}: changed={changed}");
        }

        // BatchNorm stays in inference mode during fine-tuning (Keras' advice): no running statistic moves.
        foreach (var (name, buffer) in model.named_buffers().Where(b => b.buffer.dtype == ScalarType.Float32))
        {
            Assert.True(Same(buffersBefore[name], buffer.data<float>().ToArray()), $"{name} changed");
        }
    }

    [Fact]
    public void Fit_DiscriminativeDecay_EachGroupGetsItsOwnRate()
    {
        using var model = Model();
        using var data = Source(count: 8);
        var plan = new TrainingPlan { Phases = new[] { new TrainingPhase { Name = "ft", Epochs = 1, Blocks = BlockSelection.Top(2), LearningRate = LearningRates.Decay(1e-3, 10) } } };
        using var trainer = new Trainer(model, NoCache);
        var rates = trainer.Fit(data, plan: plan).Epochs[0].LearningRates;

        Assert.Equal(3, rates.Count);
        Assert.Equal(1e-3, rates["head"], 12);
        Assert.Equal(1e-4, rates["layer4"], 12);
        Assert.Equal(1e-5, rates["layer3"], 12);
    }

    [Fact]
    public void Fit_SliceWithSchedule_RatesKeepTheirRatios()
    {
        using var model = Model();
        using var data = Source(count: 8);
        var plan = new TrainingPlan { Phases = new[] { new TrainingPhase { Name = "ft", Epochs = 2, Blocks = BlockSelection.From("layer3"), LearningRate = LearningRates.Slice(1e-5, 1e-3), Schedule = LearningRateSchedule.Cosine(0.1) } } };
        using var trainer = new Trainer(model, NoCache);
        var last = trainer.Fit(data, plan: plan).Epochs[^1].LearningRates;

        // Cosine ends at 0.1 x the base rates; slice(1e-5, 1e-3) over 3 groups is 1e-5, 1e-4, 1e-3.
        Assert.Equal(1e-4, last["head"], 10);
        Assert.Equal(1e-5, last["layer4"], 10);
        Assert.Equal(1e-6, last["layer3"], 10);
    }

    [Fact]
    public void Fit_GradualUnfreezing_AddsOneBlockPerEpoch()
    {
        using var model = Model();
        using var data = Source(count: 8);
        var layer3Before = model.GetParameterGroups().Single(g => g.Name == "layer3").Parameters[0].data<float>().ToArray();
        var plan = new TrainingPlan { Phases = new[] { new TrainingPhase { Name = "gradual", Epochs = 2, Blocks = BlockSelection.Top(1), UnfreezeOneMoreBlockEvery = 1, LearningRate = LearningRates.Decay(1e-3, 2) } } };
        using var trainer = new Trainer(model, NoCache);
        var history = trainer.Fit(data, plan: plan);

        Assert.Equal(new[] { "layer4" }, history.Epochs[0].TrainableBlocks);
        Assert.Equal(new[] { "layer3", "layer4" }, history.Epochs[1].TrainableBlocks);
        Assert.False(Same(layer3Before, model.GetParameterGroups().Single(g => g.Name == "layer3").Parameters[0].data<float>().ToArray()));
        Assert.Equal(2.5e-4, history.Epochs[1].LearningRates["layer3"], 12);
    }

    [Fact]
    public void Fit_WithAndWithoutFeatureCache_GiveSameHeadWeights()
    {
        using var data = Source(count: 24, batchSize: 6, shuffle: true);
        var plan = TrainingPlan.HeadOnly(3, 3e-3);

        using var cachedModel = Model();
        using var cachedTrainer = new Trainer(cachedModel, new TrainerOptions { Seed = 11 });
        var cachedHistory = cachedTrainer.Fit(data, plan: plan);

        using var plainModel = Model();
        using var plainTrainer = new Trainer(plainModel, new TrainerOptions { Seed = 11, FeatureCache = new FeatureCacheOptions { Enabled = false } });
        var plainHistory = plainTrainer.Fit(data, plan: plan);

        Assert.True(cachedHistory.Epochs.All(e => e.UsedFeatureCache));
        Assert.True(plainHistory.Epochs.All(e => !e.UsedFeatureCache));
        var a = State(cachedModel.Head);
        var b = State(plainModel.Head);
        foreach (var name in a.Keys)
        {
            Assert.True(MaxDiff(a[name], b[name]) < 1e-4, $"{name}: max diff {MaxDiff(a[name], b[name])}");
        }

        Assert.Equal(plainHistory.Epochs[^1].TrainLoss, cachedHistory.Epochs[^1].TrainLoss, 4);
    }

    [Fact]
    public void Fit_SameSeed_GivesSameFinalWeights()
    {
        var plan = new TrainingPlan
        {
            Phases = new[]
            {
                new TrainingPhase { Name = "head", Epochs = 1, LearningRate = 1e-3 },
                new TrainingPhase { Name = "ft", Epochs = 1, Blocks = BlockSelection.Top(1), LearningRate = 1e-4 },
            },
        };
        Dictionary<string, float[]> Run()
        {
            using var model = Model();
            using var data = Source(count: 16);
            using var trainer = new Trainer(model, NoCache);
            trainer.Fit(data, plan: plan);
            return State(model);
        }

        var first = Run();
        var second = Run();
        foreach (var name in first.Keys)
        {
            Assert.True(Same(first[name], second[name]), $"{name} differs");
        }
    }

    [Fact]
    public void Fit_NaNInData_ThrowsNamingPhaseEpochBatchAndKeepsLastGoodWeights()
    {
        using var model = Model();
        using var data = Source(count: 24, batchSize: 8, shuffle: false, nanAt: 17); // batch 3 of epoch 1
        Dictionary<string, float[]>? lastGood = null;
        var probe = new DelegateCallback { BatchEnd = c => lastGood = State(c.Model) };
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 1, FeatureCache = new FeatureCacheOptions { Enabled = false } });
        var plan = new TrainingPlan { Phases = new[] { new TrainingPhase { Name = "head", Epochs = 2, LearningRate = 1e-3 } } };

        var ex = Assert.Throws<NonFiniteLossException>(() => trainer.Fit(data, plan: plan, callbacks: new[] { probe }));

        Assert.Equal("head", ex.Phase);
        Assert.Equal(1, ex.Epoch);
        Assert.Equal(3, ex.Batch);
        Assert.Contains("phase 'head', epoch 1, batch 3", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(lastGood);
        var now = State(model);
        foreach (var (name, values) in lastGood!)
        {
            Assert.True(Same(values, now[name]), $"{name} differs from the last good step");
        }
    }

    [Fact]
    public void Fit_NaNInCachedFeatures_TriggersTheGuardToo()
    {
        using var model = Model();
        using var data = Source(count: 16, batchSize: 8, shuffle: false, nanAt: 3);
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 1 });
        var ex = Assert.Throws<NonFiniteLossException>(() => trainer.Fit(data, plan: TrainingPlan.HeadOnly(1)));
        Assert.Equal(1, ex.Batch);
        Assert.All(State(model.Head).Values, v => Assert.All(v, x => Assert.True(float.IsFinite(x))));
    }

    [Fact]
    public void Fit_CancelledMidEpoch_ReturnsHistoryAndBestWeights()
    {
        using var model = Model();
        using var data = Source(count: 24, batchSize: 8);
        using var cts = new CancellationTokenSource();
        Dictionary<string, float[]>? afterEpoch1 = null;
        var probe = new DelegateCallback
        {
            EpochEnd = c =>
            {
                if (c.Epoch == 1)
                {
                    afterEpoch1 = State(c.Model);
                }
            },
            BatchEnd = c =>
            {
                if (c.Epoch == 2 && c.Batch == 1)
                {
                    cts.Cancel();
                }
            },
        };
        bool fitEndSeen = false;
        var end = new DelegateCallback { FitEnd = c => fitEndSeen = c.WasCancelled };
        using var trainer = new Trainer(model, NoCache);

        var history = trainer.Fit(data, data, TrainingPlan.HeadOnly(5), new TrainingCallback[] { probe, end }, cancellationToken: cts.Token);

        Assert.True(history.WasCancelled);
        Assert.True(fitEndSeen);
        Assert.Single(history.Epochs);
        var now = State(model);
        foreach (var (name, values) in afterEpoch1!)
        {
            Assert.True(Same(values, now[name]), $"{name}: not the best (only) epoch's weights");
        }
    }

    [Fact]
    public async Task FitAsync_CancelledBeforeStart_ReturnsEmptyCancelledHistory()
    {
        using var model = Model();
        using var data = Source(count: 8);
        using var trainer = new Trainer(model);
        var history = await trainer.FitAsync(data, plan: TrainingPlan.HeadOnly(2), cancellationToken: new CancellationToken(true));
        Assert.True(history.WasCancelled);
        Assert.Empty(history.Epochs);
    }

    [Fact]
    public void Fit_CallbackRequestsStop_EndsFitWithoutException()
    {
        using var model = Model();
        using var data = Source(count: 16);
        var stopper = new DelegateCallback { BatchEnd = c => c.RequestStop("enough", StopScope.Fit) };
        var events = new List<string>();
        var recorder = new DelegateCallback
        {
            FitStart = _ => events.Add("fit-start"),
            PhaseStart = _ => events.Add("phase-start"),
            EpochStart = _ => events.Add("epoch-start"),
            EpochEnd = _ => events.Add("epoch-end"),
            PhaseEnd = _ => events.Add("phase-end"),
            FitEnd = _ => events.Add("fit-end"),
        };
        using var trainer = new Trainer(model, NoCache);
        var history = trainer.Fit(data, plan: TrainingPlan.Default(2, 2), callbacks: new TrainingCallback[] { recorder, stopper });

        Assert.Equal("enough", history.StopReason);
        Assert.Single(history.Epochs);
        Assert.Equal(1, history.Epochs[0].TrainSamples / 8);
        Assert.Equal(new[] { "fit-start", "phase-start", "epoch-start", "epoch-end", "phase-end", "fit-end" }, events);
    }

    [Fact]
    public void Fit_Progress_ReportsEveryBatchWithEta()
    {
        using var model = Model();
        using var data = Source(count: 16);
        var reports = new List<TrainingProgress>();
        using var trainer = new Trainer(model, NoCache);
        trainer.Fit(data, plan: TrainingPlan.HeadOnly(2), progress: new SyncProgress(reports.Add));
        Assert.Equal(4, reports.Count);
        Assert.All(reports, r => Assert.Equal("feature-extraction", r.Phase));
        Assert.Equal(2, reports[^1].Epoch);
        Assert.Equal(2, reports[^1].Batch);
        Assert.NotNull(reports[0].Eta);
        Assert.True(reports[^1].Eta!.Value <= reports[0].Eta!.Value);
    }

    [Fact]
    public void Constructor_ClassWeightsOfWrongLength_Throws()
    {
        using var model = Model();
        Assert.Throws<ArgumentException>(() => new Trainer(model, new TrainerOptions { Loss = new LossOptions { ClassWeights = new[] { 1f, 2f } } }));
    }

    [Fact]
    public void Fit_ClassWeightsLabelSmoothingAndClipping_Train()
    {
        using var model = Model();
        using var data = Source(count: 16);
        var options = NoCache with { Loss = new LossOptions { ClassWeights = new[] { 1f, 2f, 0.5f }, LabelSmoothing = 0.1 }, GradientClipNorm = 0.5 };
        using var trainer = new Trainer(model, options);
        var history = trainer.Fit(data, plan: new TrainingPlan { Phases = new[] { new TrainingPhase { Name = "p", Epochs = 2, Optimizer = OptimizerKind.SgdMomentum, LearningRate = 1e-2, WeightDecay = 1e-4 } } });
        Assert.All(history.Epochs, e => Assert.True(double.IsFinite(e.TrainLoss)));
    }

    [Fact]
    public void Fit_UnknownBlockInPlan_ThrowsBeforeTraining()
    {
        using var model = Model();
        using var data = Source(count: 8);
        using var trainer = new Trainer(model);
        var plan = new TrainingPlan { Phases = new[] { new TrainingPhase { Blocks = BlockSelection.From("block5") } } };
        var ex = Assert.Throws<ArgumentException>(() => trainer.Fit(data, plan: plan));
        Assert.Contains("layer4", ex.Message, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }
}
