namespace TransferLearning.Training;

/// <summary>The curve of a learning-rate sweep and the rates it suggests.</summary>
public sealed record LearningRateFinderResult
{
    /// <summary>Rate of each step.</summary>
    public required IReadOnlyList<double> LearningRates { get; init; }

    /// <summary>Smoothed (bias-corrected) loss of each step.</summary>
    public required IReadOnlyList<double> Losses { get; init; }

    /// <summary>Rate where the smoothed loss falls fastest (steepest negative slope against log rate).</summary>
    public required double Steepest { get; init; }

    /// <summary>fastai's "valley": a rate in the lower part of the longest descending stretch of the curve.</summary>
    public required double Valley { get; init; }

    /// <summary>Rate of the lowest smoothed loss, divided by 10 (the old fastai rule).</summary>
    public required double MinimumOverTen { get; init; }

    /// <summary>The suggested rate: <see cref="Valley"/> (fastai's default suggestion).</summary>
    public double Suggested => Valley;
}
