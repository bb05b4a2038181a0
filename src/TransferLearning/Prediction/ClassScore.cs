namespace TransferLearning.Prediction;

/// <summary>One class with its predicted probability.</summary>
/// <param name="ClassName">Class name.</param>
/// <param name="ClassIndex">Class index (model output position).</param>
/// <param name="Probability">Softmax probability, 0..1.</param>
public sealed record ClassScore(string ClassName, int ClassIndex, float Probability);
