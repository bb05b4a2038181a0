namespace TransferLearning.Cli.Output;

/// <summary>One epoch of a training history, as plotted in <c>curves.png</c> and written in the JSON report.</summary>
/// <param name="Phase">Phase name (for example "feature-extraction", "fine-tuning").</param>
/// <param name="Epoch">1-based epoch number over the whole run (phases follow each other).</param>
/// <param name="TrainLoss">Mean training loss.</param>
/// <param name="TrainAccuracy">Training accuracy, when measured.</param>
/// <param name="ValidationLoss">Validation loss, when there is a validation set.</param>
/// <param name="ValidationAccuracy">Validation accuracy, when there is a validation set.</param>
/// <param name="LearningRate">Learning rate of the head at the end of the epoch.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochPoint(
    string Phase,
    int Epoch,
    double TrainLoss,
    double? TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    double Seconds);
