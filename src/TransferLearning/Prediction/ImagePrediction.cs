namespace TransferLearning.Prediction;

/// <summary>The prediction for one image.</summary>
public sealed record ImagePrediction
{
    /// <summary>The most probable classes, most probable first (<see cref="PredictorOptions.TopK"/> of them).</summary>
    public required IReadOnlyList<ClassScore> Top { get; init; }

    /// <summary>Probability of every class, in model output order.</summary>
    public required IReadOnlyList<float> Probabilities { get; init; }

    /// <summary>The most probable class.</summary>
    public ClassScore Best => Top[0];

    /// <summary>Name of the most probable class.</summary>
    public string ClassName => Top[0].ClassName;

    /// <summary>Probability of the most probable class.</summary>
    public float Confidence => Top[0].Probability;
}
