namespace TransferLearning.Prediction;

/// <summary>Settings of a <see cref="Predictor"/>.</summary>
public sealed record PredictorOptions
{
    /// <summary>How many of the most probable classes each prediction lists. Default 5 (capped at the class count).</summary>
    public int TopK { get; init; } = 5;

    /// <summary>Test-time augmentation: average the probabilities of the image and its horizontal mirror. Default false.</summary>
    public bool FlipTestTimeAugmentation { get; init; }

    /// <summary>Images per forward pass for batch prediction and folder evaluation. Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentOutOfRangeException">TopK or BatchSize is not positive.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TopK, nameof(TopK));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
    }
}
