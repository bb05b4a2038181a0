namespace TransferLearning.Training;

/// <summary>Settings of <see cref="LearningRateFinder"/> (fastai's <c>lr_find</c> defaults).</summary>
public sealed record LearningRateFinderOptions
{
    /// <summary>First rate of the sweep. Default 1e-7.</summary>
    public double StartLearningRate { get; init; } = 1e-7;

    /// <summary>Last rate of the sweep. Default 10.</summary>
    public double EndLearningRate { get; init; } = 10;

    /// <summary>Number of steps (batches, cycling through epochs when needed). Default 100.</summary>
    public int Steps { get; init; } = 100;

    /// <summary>Exponential smoothing of the loss curve. Default 0.98.</summary>
    public double Smoothing { get; init; } = 0.98;

    /// <summary>Stop when the smoothed loss exceeds this many times the best. Default 4.</summary>
    public double DivergenceFactor { get; init; } = 4;

    /// <summary>Optimizer used for the sweep. Default <see cref="OptimizerKind.Adam"/>.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Seed of TorchSharp's generator for the sweep, or <see langword="null"/>. Default null.</summary>
    public long? Seed { get; init; }

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (!(StartLearningRate > 0) || !(EndLearningRate > StartLearningRate) || double.IsInfinity(EndLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(StartLearningRate), "Need 0 < StartLearningRate < EndLearningRate < infinity.");
        }

        if (Steps < 5)
        {
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "At least 5 steps are needed.");
        }

        if (!(Smoothing >= 0 && Smoothing < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Smoothing), Smoothing, "Smoothing must be in [0, 1).");
        }

        if (!(DivergenceFactor > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(DivergenceFactor), DivergenceFactor, "DivergenceFactor must exceed 1.");
        }

        if (!Enum.IsDefined(Optimizer))
        {
            throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "Unknown optimizer.");
        }
    }
}
