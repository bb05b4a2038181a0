namespace TransferLearning.Persistence;

/// <summary>
/// The manifest of a model file (<c>manifest.json</c>): everything needed to rebuild the model without its original
/// weights source, plus the caller's metadata.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>Format identifier, always <see cref="TransferModelFile.FormatName"/>.</summary>
    public required string Format { get; init; }

    /// <summary>Format version the file was written with.</summary>
    public required int FormatVersion { get; init; }

    /// <summary>Version of the TransferLearning library that wrote the file.</summary>
    public string LibraryVersion { get; init; } = "";

    /// <summary>When the file was written (UTC).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Architecture, classes, preprocessing and BatchNorm policy of the model.</summary>
    public required TransferModelSpec Spec { get; init; }

    /// <summary>Trainable base blocks at save time (restored on load, so training can continue where it stopped).</summary>
    public IReadOnlyList<string> TrainableBlocks { get; init; } = Array.Empty<string>();

    /// <summary>The caller's metadata.</summary>
    public ModelMetadata Metadata { get; init; } = new();

    /// <summary>Number of tensors in the weights entry.</summary>
    public int TensorCount { get; init; }

    /// <summary>Number of parameter elements of the model.</summary>
    public long ParameterCount { get; init; }
}
