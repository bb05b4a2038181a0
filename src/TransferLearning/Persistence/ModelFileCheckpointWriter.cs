using TransferLearning.Training;

namespace TransferLearning.Persistence;

/// <summary>
/// Writes checkpoints as complete model files (<see cref="TransferModelFile"/>, <c>.tlm</c>): each checkpoint can be
/// loaded with <see cref="TransferModelFile.Load(string, TorchSharp.torch.Device?)"/> or served by a predictor without
/// the original weights source. Pass it to <see cref="ModelCheckpointOptions"/>.
/// </summary>
public sealed class ModelFileCheckpointWriter : ICheckpointWriter
{
    /// <inheritdoc/>
    public string Extension => TransferModelFile.Extension;

    /// <inheritdoc/>
    public void Write(TransferModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        TransferModelFile.Save(model, path);
    }
}
