namespace TransferLearning.Training;

/// <summary>
/// How the learning rates of a <see cref="TrainingPhase"/> change during the phase. Every group keeps its ratio to the
/// others (discriminative rates are scaled together). Build with the static factories.
/// </summary>
public sealed record LearningRateSchedule
{
    /// <summary>The kind. Default <see cref="ScheduleKind.Constant"/>.</summary>
    public ScheduleKind Kind { get; init; } = ScheduleKind.Constant;

    /// <summary>One-cycle: fraction of the phase spent warming up. Default 0.25 (fastai <c>fit_one_cycle</c>).</summary>
    public double PctStart { get; init; } = 0.25;

    /// <summary>One-cycle: the starting rate is the rate divided by this. Default 25.</summary>
    public double DivFactor { get; init; } = 25;

    /// <summary>One-cycle: the final rate is the starting rate divided by this. Default 1e5 (fastai).</summary>
    public double FinalDivFactor { get; init; } = 1e5;

    /// <summary>Cosine: the final rate as a fraction of the rate. Default 0.</summary>
    public double FinalFactor { get; init; }

    /// <summary>Step and plateau: multiplier applied at each reduction. Default 0.1.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary>Step: epochs between reductions. Default 5.</summary>
    public int StepEpochs { get; init; } = 5;

    /// <summary>Plateau: epochs without improvement before a reduction. Default 2.</summary>
    public int Patience { get; init; } = 2;

    /// <summary>Plateau: the metric watched (see <see cref="EpochRecord.GetMetric"/>). Default "val_loss" (falls back to "train_loss" without validation data).</summary>
    public string Monitor { get; init; } = "val_loss";

    /// <summary>Plateau: whether lower is better for <see cref="Monitor"/>. Default <see cref="MonitorMode.Auto"/>.</summary>
    public MonitorMode Mode { get; init; } = MonitorMode.Auto;

    /// <summary>Plateau: the smallest multiplier reached. Default 1e-3.</summary>
    public double MinFactor { get; init; } = 1e-3;

    /// <summary>Constant rates.</summary>
    public static LearningRateSchedule Constant { get; } = new();

    /// <summary>Cosine annealing to <paramref name="finalFactor"/> times the rate.</summary>
    /// <param name="finalFactor">Final fraction of the rate, in [0, 1].</param>
    public static LearningRateSchedule Cosine(double finalFactor = 0) => new() { Kind = ScheduleKind.Cosine, FinalFactor = finalFactor };

    /// <summary>One-cycle.</summary>
    /// <param name="pctStart">Warm-up fraction, in (0, 1).</param>
    /// <param name="divFactor">Start at rate / divFactor.</param>
    /// <param name="finalDivFactor">End at start / finalDivFactor.</param>
    public static LearningRateSchedule OneCycle(double pctStart = 0.25, double divFactor = 25, double finalDivFactor = 1e5) =>
        new() { Kind = ScheduleKind.OneCycle, PctStart = pctStart, DivFactor = divFactor, FinalDivFactor = finalDivFactor };

    /// <summary>Step decay.</summary>
    /// <param name="stepEpochs">Epochs between reductions.</param>
    /// <param name="gamma">Multiplier, in (0, 1].</param>
    public static LearningRateSchedule Step(int stepEpochs, double gamma = 0.1) => new() { Kind = ScheduleKind.Step, StepEpochs = stepEpochs, Gamma = gamma };

    /// <summary>Reduce on plateau.</summary>
    /// <param name="patience">Epochs without improvement before a reduction.</param>
    /// <param name="gamma">Multiplier, in (0, 1).</param>
    /// <param name="monitor">Metric watched.</param>
    public static LearningRateSchedule ReduceOnPlateau(int patience = 2, double gamma = 0.1, string monitor = "val_loss") =>
        new() { Kind = ScheduleKind.ReduceOnPlateau, Patience = patience, Gamma = gamma, Monitor = monitor };

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind) || !Enum.IsDefined(Mode))
        {
            throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown schedule kind or mode.");
        }

        if (!(PctStart > 0 && PctStart < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(PctStart), PctStart, "PctStart must be in (0, 1).");
        }

        if (!(DivFactor >= 1) || !(FinalDivFactor >= 1) || double.IsInfinity(DivFactor) || double.IsInfinity(FinalDivFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(DivFactor), "DivFactor and FinalDivFactor must be finite and at least 1.");
        }

        if (!(FinalFactor >= 0 && FinalFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(FinalFactor), FinalFactor, "FinalFactor must be in [0, 1].");
        }

        if (!(Gamma > 0 && Gamma <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "Gamma must be in (0, 1].");
        }

        if (!(MinFactor > 0 && MinFactor <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(MinFactor), MinFactor, "MinFactor must be in (0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(StepEpochs, nameof(StepEpochs));
        ArgumentOutOfRangeException.ThrowIfNegative(Patience, nameof(Patience));
        ArgumentException.ThrowIfNullOrWhiteSpace(Monitor, nameof(Monitor));
    }

    /// <summary>The multiplier of the base rates at a step of the phase, for the per-batch schedules.</summary>
    /// <param name="step">Zero-based step within the phase.</param>
    /// <param name="totalSteps">Steps in the phase.</param>
    /// <param name="epoch">Zero-based epoch within the phase.</param>
    /// <returns>The multiplier (1 for constant; plateau reductions are applied separately).</returns>
    public double Multiplier(long step, long totalSteps, int epoch)
    {
        double t = totalSteps <= 1 ? 0 : Math.Clamp((double)step / (totalSteps - 1), 0, 1);
        switch (Kind)
        {
            case ScheduleKind.Cosine:
                return FinalFactor + ((1 - FinalFactor) * 0.5 * (1 + Math.Cos(Math.PI * t)));
            case ScheduleKind.OneCycle:
                double start = 1 / DivFactor, end = start / FinalDivFactor;
                if (t < PctStart)
                {
                    return Anneal(start, 1, t / PctStart);
                }

                return Anneal(1, end, (t - PctStart) / (1 - PctStart));
            case ScheduleKind.Step:
                return Math.Pow(Gamma, epoch / StepEpochs);
            default:
                return 1;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Kind.ToString();

    private static double Anneal(double from, double to, double pct) => to + ((from - to) * 0.5 * (1 + Math.Cos(Math.PI * pct)));
}
