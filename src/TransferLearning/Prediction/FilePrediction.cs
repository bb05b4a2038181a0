using TransferLearning.Data;

namespace TransferLearning.Prediction;

/// <summary>The outcome for one file of <see cref="Predictor.PredictFiles"/>: a prediction, or the reason the file was skipped.</summary>
/// <param name="Path">The file.</param>
/// <param name="Prediction">The prediction; <see langword="null"/> when the file could not be used.</param>
/// <param name="Error">Why the file was skipped; <see langword="null"/> when it was classified.</param>
public sealed record FilePrediction(string Path, ImagePrediction? Prediction, BadFileEntry? Error);
