namespace TransferLearning.Training;

/// <summary>
/// Writes the model's state dict in TorchSharp's native format (<c>Module.save</c>); load it back with
/// <c>model.load(path)</c> into a model built with the same <see cref="TransferModelSpec"/>.
/// </summary>
public sealed class TorchSharpCheckpointWriter : ICheckpointWriter
{
    /// <summary>The shared instance.</summary>
    public static TorchSharpCheckpointWriter Instance { get; } = new();

    /// <inheritdoc/>
    public string Extension => ".dat";

    /// <inheritdoc/>
    public void Write(TransferModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        model.save(path);
    }
}
