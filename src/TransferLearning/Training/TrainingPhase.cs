namespace TransferLearning.Training;

/// <summary>
/// One phase of a <see cref="TrainingPlan"/>: which blocks train, for how many epochs, with which optimizer, rates and
/// schedule. Defaults describe Keras' feature-extraction phase (base frozen, Adam 1e-3, constant).
/// </summary>
public sealed record TrainingPhase
{
    /// <summary>Name shown in the history and progress. Default "train".</summary>
    public string Name { get; init; } = "train";

    /// <summary>Number of epochs. Default 5.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Base blocks that train. Default <see cref="BlockSelection.Frozen"/>.</summary>
    public BlockSelection Blocks { get; init; } = BlockSelection.Frozen;

    /// <summary>
    /// Gradual unfreezing: every this many epochs one more base block (the next one down) becomes trainable, starting
    /// from <see cref="Blocks"/>. Discriminative rates are spread over the groups trainable at the end of the phase.
    /// Default <see langword="null"/> (off).
    /// </summary>
    public int? UnfreezeOneMoreBlockEvery { get; init; }

    /// <summary>The optimizer. Default <see cref="OptimizerKind.Adam"/>.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Learning rate(s). Default 1e-3 (Keras' Adam default, the rate for a new head).</summary>
    public LearningRates LearningRate { get; init; } = LearningRates.Constant(1e-3);

    /// <summary>Weight decay (L2 for Adam and SGD, decoupled for AdamW). Default 0 (AdamW: use 0.01 as PyTorch does).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Momentum of <see cref="OptimizerKind.SgdMomentum"/>. Default 0.9.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Learning-rate schedule. Default <see cref="LearningRateSchedule.Constant"/>.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is invalid; the message says which.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name, nameof(Name));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, nameof(Epochs));
        ArgumentNullException.ThrowIfNull(Blocks, nameof(Blocks));
        ArgumentNullException.ThrowIfNull(LearningRate, nameof(LearningRate));
        ArgumentNullException.ThrowIfNull(Schedule, nameof(Schedule));
        if (UnfreezeOneMoreBlockEvery is int every)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(every, nameof(UnfreezeOneMoreBlockEvery));
        }

        if (!Enum.IsDefined(Optimizer))
        {
            throw new ArgumentOutOfRangeException(nameof(Optimizer), Optimizer, "Unknown optimizer.");
        }

        if (double.IsNaN(WeightDecay) || double.IsInfinity(WeightDecay) || WeightDecay < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "Weight decay must be a finite number of at least 0.");
        }

        if (!(Momentum >= 0 && Momentum < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Momentum must be in [0, 1).");
        }

        Schedule.Validate();
    }

    /// <summary>Number of trainable base blocks at a zero-based epoch of this phase on <paramref name="model"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="epoch">Zero-based epoch within the phase.</param>
    public int TrainableBlocksAt(TransferModel model, int epoch)
    {
        ArgumentNullException.ThrowIfNull(model);
        int start = Blocks.TrainableBlockCount(model);
        int extra = UnfreezeOneMoreBlockEvery is int every ? epoch / every : 0;
        return Math.Min(model.BlockNames.Count, start + extra);
    }
}
