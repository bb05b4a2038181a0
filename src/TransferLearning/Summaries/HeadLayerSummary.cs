namespace TransferLearning.Summaries;

/// <summary>One layer of the head in a <see cref="ModelSummary"/>.</summary>
public sealed record HeadLayerSummary
{
    /// <summary>Layer name as in the state dict ("pool", "mlp.0", ...).</summary>
    public required string Name { get; init; }

    /// <summary>Layer description, for example "Linear(512 -> 256)", "ReLU", "Dropout(0.2)".</summary>
    public required string Layer { get; init; }

    /// <summary>Output shape for one image, batch dimension first (always 1).</summary>
    public required IReadOnlyList<long> OutputShape { get; init; }

    /// <summary>Number of parameters (elements).</summary>
    public required long Parameters { get; init; }

    /// <summary>Whether the layer's parameters train (head layers always do; false for a layer without parameters).</summary>
    public required bool IsTrainable { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Layer}: output {ModelSummary.FormatShape(OutputShape)}, {ModelSummary.FormatCount(Parameters)} parameters";
}
