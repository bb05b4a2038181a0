namespace TransferLearning.Metrics;

/// <summary>Options of <see cref="Evaluator.Evaluate"/>.</summary>
public sealed record EvaluationOptions
{
    /// <summary>The k of the top-k accuracy (clamped to the class count). Default 5.</summary>
    public int TopK { get; init; } = 5;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="TopK"/> is not positive.</exception>
    public void Validate() => ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TopK, nameof(TopK));
}
