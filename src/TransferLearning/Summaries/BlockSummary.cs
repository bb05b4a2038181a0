namespace TransferLearning.Summaries;

/// <summary>One base block of a <see cref="ModelSummary"/>.</summary>
public sealed record BlockSummary
{
    /// <summary>Block name ("stem", "layer1", "block5", ...).</summary>
    public required string Name { get; init; }

    /// <summary>Output shape for one image at the model's input size, batch dimension first (always 1).</summary>
    public required IReadOnlyList<long> OutputShape { get; init; }

    /// <summary>Number of parameters (elements).</summary>
    public required long Parameters { get; init; }

    /// <summary>Whether the block currently trains (its parameters require gradients).</summary>
    public required bool IsTrainable { get; init; }

    /// <summary>Number of BatchNorm layers in the block.</summary>
    public required int BatchNormLayers { get; init; }

    /// <summary>How the block's BatchNorm layers behave while the model trains.</summary>
    public required BatchNormMode BatchNorm { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: output {ModelSummary.FormatShape(OutputShape)}, {ModelSummary.FormatCount(Parameters)} parameters, {(IsTrainable ? "trainable" : "frozen")}, BatchNorm {ModelSummary.FormatBatchNorm(BatchNorm, BatchNormLayers)}";
}
