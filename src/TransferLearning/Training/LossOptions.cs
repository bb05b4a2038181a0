namespace TransferLearning.Training;

/// <summary>Cross-entropy loss settings.</summary>
public sealed record LossOptions
{
    /// <summary>Weight of each class (for imbalanced data, e.g. from <c>ImageDataset.ComputeClassWeights()</c>), or <see langword="null"/> for equal weights. Default null.</summary>
    public IReadOnlyList<float>? ClassWeights { get; init; }

    /// <summary>Label smoothing in [0, 1). Default 0 (fastai uses 0.1 with <c>LabelSmoothingCrossEntropy</c>).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A weight is negative or not finite, or the smoothing is outside [0, 1).</exception>
    public void Validate()
    {
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "Label smoothing must be in [0, 1).");
        }

        if (ClassWeights is not null && ClassWeights.Any(w => !float.IsFinite(w) || w < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(ClassWeights), "Class weights must be finite and non-negative.");
        }
    }
}
