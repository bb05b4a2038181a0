namespace TransferLearning.Training;

/// <summary>Optimizer of a <see cref="TrainingPhase"/>.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (L2 weight decay added to the gradient).</summary>
    Adam,

    /// <summary>AdamW (decoupled weight decay).</summary>
    AdamW,

    /// <summary>SGD with momentum (<see cref="TrainingPhase.Momentum"/>, Nesterov off).</summary>
    SgdMomentum,
}
