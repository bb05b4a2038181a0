using TransferLearning.Training;
using static TorchSharp.torch;
using static TransferLearning.Tests.Training.TrainingTestData;

namespace TransferLearning.Tests.Training;

[Collection(TorchRandomCollection.Name)]
public sealed class CallbackTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "tl-callback-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void EarlyStopping_NoImprovement_StopsAndRestoresBestEpoch()
    {
        using var model = Model();
        using var data = Source(count: 16);
        var snapshots = new Dictionary<int, Dictionary<string, float[]>>();
        var probe = new DelegateCallback { EpochEnd = c => snapshots[c.Epoch] = State(c.Model) };

        // Training loss falls every epoch, so "max train_loss" is best at epoch 1 and never improves.
        using var early = new EarlyStopping(new EarlyStoppingOptions { Monitor = "train_loss", Mode = MonitorMode.Max, Patience = 1 });
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 3 });
        var history = trainer.Fit(data, plan: TrainingPlan.HeadOnly(10, 1e-2), callbacks: new TrainingCallback[] { probe, early });

        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(3, early.StoppedEpoch);
        Assert.Equal(1, early.BestEpoch);
        Assert.Contains("Early stopping", history.StopReason, StringComparison.Ordinal);
        var now = State(model);
        foreach (var (name, values) in snapshots[1])
        {
            Assert.True(Same(values, now[name]), $"{name} is not epoch 1's");
        }

        Assert.Contains(snapshots[3].Keys, k => !Same(snapshots[3][k], now[k]));
    }

    [Fact]
    public void EarlyStopping_PhaseScope_NextPhaseStillRuns()
    {
        using var model = Model();
        using var data = Source(count: 8);
        using var early = new EarlyStopping(new EarlyStoppingOptions { Monitor = "train_loss", Mode = MonitorMode.Max, Patience = 0 });
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 3 });
        var history = trainer.Fit(data, plan: TrainingPlan.Default(headEpochs: 5, fineTuneEpochs: 1), callbacks: new[] { early });

        Assert.Equal(new[] { "feature-extraction", "feature-extraction", "fine-tuning" }, history.Epochs.Select(e => e.Phase));
    }

    [Fact]
    public void ModelCheckpoint_BestAndLast_LoadBackToSamePredictions()
    {
        using var model = Model();
        using var data = Source(count: 16);
        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { Directory = dir, SaveBest = true, SaveLast = true, Monitor = "val_accuracy" });
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 5 });
        trainer.Fit(data, data, TrainingPlan.HeadOnly(2, 1e-2), callbacks: new[] { checkpoint });

        Assert.True(File.Exists(checkpoint.BestPath));
        Assert.True(File.Exists(checkpoint.LastPath));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        Assert.True(checkpoint.BestEpoch >= 1);

        using var loaded = TransferLearning.Persistence.TransferModelFile.Load(checkpoint.LastPath);
        loaded.eval();
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(4, 3, 32, 32);
        var expected = model.call(x).data<float>().ToArray();
        var actual = loaded.call(x).data<float>().ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ModelCheckpoint_WriterThrows_LeavesNoHalfWrittenFile()
    {
        using var model = Model();
        using var data = Source(count: 8);
        var checkpoint = new ModelCheckpoint(new ModelCheckpointOptions { Directory = dir, Writer = new FailingWriter() });
        using var trainer = new Trainer(model);
        Assert.Throws<IOException>(() => trainer.Fit(data, plan: TrainingPlan.HeadOnly(1), callbacks: new[] { checkpoint }));
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void HistoryLogger_CsvAndJson_WriteEveryEpoch()
    {
        using var model = Model();
        using var data = Source(count: 8);
        string csv = Path.Combine(dir, "history.csv");
        string json = Path.Combine(dir, "history.json");
        using var trainer = new Trainer(model);
        trainer.Fit(data, data, TrainingPlan.Default(1, 1), callbacks: new[] { HistoryLogger.Csv(csv), HistoryLogger.Json(json) });

        var lines = File.ReadAllLines(csv);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("phase,phase_epoch,epoch,train_loss", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("fine-tuning,1,2,", lines[2], StringComparison.Ordinal);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(2, doc.RootElement.GetProperty("epochs").GetArrayLength());
        Assert.Equal("layer3 layer4", lines[2].Split(',')[12]);
    }

    private sealed class FailingWriter : ICheckpointWriter
    {
        public string Extension => ".bin";

        public void Write(TransferModel model, string path)
        {
            File.WriteAllText(path, "partial");
            throw new IOException("disk full");
        }
    }
}
