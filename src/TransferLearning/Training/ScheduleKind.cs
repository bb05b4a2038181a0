namespace TransferLearning.Training;

/// <summary>Kinds of <see cref="LearningRateSchedule"/>.</summary>
public enum ScheduleKind
{
    /// <summary>The rates stay as set.</summary>
    Constant,

    /// <summary>Cosine annealing from the rates to <see cref="LearningRateSchedule.FinalFactor"/> times them over the phase, per batch.</summary>
    Cosine,

    /// <summary>fastai/Smith one-cycle: cosine warm-up from rate/<see cref="LearningRateSchedule.DivFactor"/> to the rate over <see cref="LearningRateSchedule.PctStart"/> of the phase, then cosine down to rate/(DivFactor*FinalDivFactor).</summary>
    OneCycle,

    /// <summary>Multiply by <see cref="LearningRateSchedule.Gamma"/> every <see cref="LearningRateSchedule.StepEpochs"/> epochs.</summary>
    Step,

    /// <summary>Multiply by <see cref="LearningRateSchedule.Gamma"/> when the monitored metric has not improved for <see cref="LearningRateSchedule.Patience"/> epochs.</summary>
    ReduceOnPlateau,
}
