using Microsoft.Extensions.Logging;
using TransferLearning.Training;
using static TransferLearning.Tests.Training.TrainingTestData;

namespace TransferLearning.Tests.Training;

[Collection(TorchRandomCollection.Name)]
public sealed class ConsoleProgressTests
{
    [Fact]
    public void Fit_WithTextWriter_WritesPhaseLineAndOneLinePerEpoch()
    {
        using var model = Model();
        using var train = Source(count: 16, batchSize: 8);
        using var validation = Source(count: 9, batchSize: 8, shuffle: false, seed: 5);
        using var writer = new StringWriter();
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 3 });

        trainer.Fit(train, validation, TrainingPlan.HeadOnly(2, 1e-2), callbacks: [new ConsoleProgress(writer)]);

        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("2 epochs, trains head only", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("Epoch 1/2 [", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("Epoch 2/2 [", lines[2], StringComparison.Ordinal);
        Assert.Contains(" 2 batches - ", lines[1], StringComparison.Ordinal);
        Assert.Contains(" - loss ", lines[2], StringComparison.Ordinal);
        Assert.Contains(" - val_accuracy ", lines[2], StringComparison.Ordinal);
        Assert.Contains(" - lr 1.0e-2", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_WithLogger_LogsEachLineAsInformation()
    {
        using var model = Model();
        using var train = Source(count: 8, batchSize: 8);
        var logger = new ListLogger();
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 3 });

        trainer.Fit(train, plan: TrainingPlan.HeadOnly(1, 1e-2), callbacks: [new ConsoleProgress(logger)]);

        Assert.Equal(2, logger.Lines.Count);
        Assert.All(logger.Lines, l => Assert.Equal(LogLevel.Information, l.Level));
        Assert.StartsWith("Epoch 1/1 [", logger.Lines[1].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("val_loss", logger.Lines[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_StoppedByCallback_WritesReason()
    {
        using var model = Model();
        using var train = Source(count: 8, batchSize: 8);
        using var writer = new StringWriter();
        var stopper = new DelegateCallback { EpochEnd = c => c.RequestStop("enough for this test") };
        using var trainer = new Trainer(model, new TrainerOptions { Seed = 3 });

        trainer.Fit(train, plan: TrainingPlan.HeadOnly(3, 1e-2), callbacks: [stopper, new ConsoleProgress(writer)]);

        Assert.EndsWith("Stopped: enough for this test", writer.ToString().TrimEnd(), StringComparison.Ordinal);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
