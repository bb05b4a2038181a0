namespace TransferLearning.Export;

/// <summary>Settings of <see cref="OnnxExporter"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Append a Softmax so the output holds probabilities instead of logits. Default false.</summary>
    public bool IncludeSoftmax { get; init; }

    /// <summary>Name of the graph input (float32 <c>[batch, 3, S, S]</c>, preprocessed as the model's spec says). Default "input".</summary>
    public string InputName { get; init; } = "input";

    /// <summary>Name of the graph output (<c>[batch, classes]</c>). Default "logits", or "probabilities" with <see cref="IncludeSoftmax"/>.</summary>
    public string? OutputName { get; init; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A name is empty, or both names are equal.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(InputName, nameof(InputName));
        if (OutputName is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(OutputName, nameof(OutputName));
            if (OutputName == InputName)
            {
                throw new ArgumentException("Input and output names must differ.", nameof(OutputName));
            }
        }
    }
}
