using TransferLearning.Backbones;
using TransferLearning.Weights;

namespace TransferLearning.Persistence;

/// <summary>
/// Stands for the weights of a model file while the builder rebuilds its architecture: keeps the original weights
/// description and fingerprint in the spec and loads nothing (the saved state dict is copied in after the build).
/// </summary>
internal sealed class SavedWeightsSource : IWeightsSource
{
    internal SavedWeightsSource(TransferModelSpec spec)
    {
        Description = spec.WeightsDescription ?? "";
        Fingerprint = spec.WeightsFingerprint ?? "";
    }

    public string Description { get; }

    public string Fingerprint { get; }

    public void LoadInto(BackboneModule backbone, CancellationToken cancellationToken)
    {
        // The model file's state dict replaces every tensor after the build.
    }
}
