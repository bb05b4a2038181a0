namespace TransferLearning.Data;

/// <summary>Training, validation and optional test datasets that share the same class names.</summary>
/// <param name="Train">Training samples.</param>
/// <param name="Validation">Validation samples (may be empty when no validation fraction was asked for).</param>
/// <param name="Test">Test samples, or <see langword="null"/> when there is no test split.</param>
public sealed record DatasetSplits(ImageDataset Train, ImageDataset Validation, ImageDataset? Test);
