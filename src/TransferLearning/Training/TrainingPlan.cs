namespace TransferLearning.Training;

/// <summary>
/// The phases of a fit, run in order. <see cref="Default"/> is the Keras transfer-learning recipe (train a new head on a
/// frozen base, then fine-tune the top blocks at a low rate with BatchNorm in inference mode); <see cref="FineTune"/> is
/// fastai's <c>fine_tune</c>.
/// </summary>
public sealed record TrainingPlan
{
    /// <summary>The phases, in order (at least one).</summary>
    public required IReadOnlyList<TrainingPhase> Phases { get; init; }

    /// <summary>Default number of top blocks unfrozen by <see cref="Default"/>'s fine-tuning phase: 2.</summary>
    /// <remarks>
    /// Two blocks is the middle ground between Keras' guide (everything, at 1e-5) and the common advice to start with the
    /// top block: on ResNet it is layer3+layer4, on VGG16 block4+block5, on MobileNet the last two stages, which adapts
    /// the high-level features while keeping the generic low-level ones and costs far less per epoch than unfreezing all.
    /// </remarks>
    public const int DefaultUnfrozenBlocks = 2;

    /// <summary>
    /// The Keras recipe. Phase "feature-extraction": base frozen, Adam, head rate <paramref name="headLearningRate"/>
    /// (1e-3). Phase "fine-tuning": top <paramref name="unfrozenBlocks"/> blocks (2) unfrozen, Adam at
    /// <paramref name="fineTuneLearningRate"/> (1e-5) for every trainable group, constant. Skips a phase with 0 epochs.
    /// </summary>
    /// <param name="headEpochs">Epochs of feature extraction. Default 10.</param>
    /// <param name="fineTuneEpochs">Epochs of fine-tuning. Default 10.</param>
    /// <param name="unfrozenBlocks">Top blocks unfrozen for fine-tuning. Default <see cref="DefaultUnfrozenBlocks"/>.</param>
    /// <param name="headLearningRate">Rate of phase 1. Default 1e-3.</param>
    /// <param name="fineTuneLearningRate">Rate(s) of phase 2. Default 1e-5; pass <see cref="LearningRates.Decay"/> or <see cref="LearningRates.Slice"/> for discriminative rates.</param>
    public static TrainingPlan Default(int headEpochs = 10, int fineTuneEpochs = 10, int unfrozenBlocks = DefaultUnfrozenBlocks, double headLearningRate = 1e-3, LearningRates? fineTuneLearningRate = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(headEpochs);
        ArgumentOutOfRangeException.ThrowIfNegative(fineTuneEpochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(unfrozenBlocks);
        if (headEpochs + fineTuneEpochs == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(headEpochs), "At least one epoch is needed.");
        }

        var phases = new List<TrainingPhase>();
        if (headEpochs > 0)
        {
            phases.Add(new TrainingPhase
            {
                Name = "feature-extraction",
                Epochs = headEpochs,
                Blocks = BlockSelection.Frozen,
                LearningRate = LearningRates.Constant(headLearningRate),
            });
        }

        if (fineTuneEpochs > 0)
        {
            phases.Add(new TrainingPhase
            {
                Name = "fine-tuning",
                Epochs = fineTuneEpochs,
                Blocks = BlockSelection.Top(unfrozenBlocks),
                LearningRate = fineTuneLearningRate ?? LearningRates.Constant(1e-5),
            });
        }

        return new TrainingPlan { Phases = phases };
    }

    /// <summary>
    /// fastai's <c>fine_tune(epochs, base_lr, freeze_epochs)</c>: <paramref name="freezeEpochs"/> epochs with the base
    /// frozen at <paramref name="baseLearningRate"/> (one-cycle, pct_start 0.99), then everything unfrozen for
    /// <paramref name="epochs"/> epochs at <c>slice(baseLr/2/100, baseLr/2)</c> (one-cycle, pct_start 0.3, div 5). Adam.
    /// </summary>
    /// <param name="epochs">Unfrozen epochs.</param>
    /// <param name="baseLearningRate">Default 2e-3.</param>
    /// <param name="freezeEpochs">Frozen epochs. Default 1.</param>
    public static TrainingPlan FineTune(int epochs, double baseLearningRate = 2e-3, int freezeEpochs = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        ArgumentOutOfRangeException.ThrowIfNegative(freezeEpochs);
        var phases = new List<TrainingPhase>();
        if (freezeEpochs > 0)
        {
            phases.Add(new TrainingPhase
            {
                Name = "frozen",
                Epochs = freezeEpochs,
                Blocks = BlockSelection.Frozen,
                LearningRate = LearningRates.Constant(baseLearningRate),
                Schedule = LearningRateSchedule.OneCycle(pctStart: 0.99),
            });
        }

        double high = baseLearningRate / 2;
        phases.Add(new TrainingPhase
        {
            Name = "unfrozen",
            Epochs = epochs,
            Blocks = BlockSelection.All,
            LearningRate = LearningRates.Slice(high / 100, high),
            Schedule = LearningRateSchedule.OneCycle(pctStart: 0.3, divFactor: 5),
        });
        return new TrainingPlan { Phases = phases };
    }

    /// <summary>A single phase with the base frozen (feature extraction only).</summary>
    /// <param name="epochs">Epochs.</param>
    /// <param name="learningRate">Head rate. Default 1e-3.</param>
    public static TrainingPlan HeadOnly(int epochs, double learningRate = 1e-3) => new()
    {
        Phases = new[] { new TrainingPhase { Name = "feature-extraction", Epochs = epochs, LearningRate = LearningRates.Constant(learningRate) } },
    };

    /// <summary>Total epochs over all phases.</summary>
    public int TotalEpochs => Phases.Sum(p => p.Epochs);

    /// <summary>Checks every phase.</summary>
    /// <exception cref="ArgumentException">No phase, duplicate names or an invalid phase.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Phases, nameof(Phases));
        if (Phases.Count == 0)
        {
            throw new ArgumentException("A plan needs at least one phase.", nameof(Phases));
        }

        foreach (var phase in Phases)
        {
            ArgumentNullException.ThrowIfNull(phase, nameof(Phases));
            phase.Validate();
        }

        var duplicate = Phases.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Phase name '{duplicate.Key}' appears more than once.", nameof(Phases));
        }
    }
}
