using TransferLearning.Backbones;

namespace TransferLearning.Weights;

/// <summary>
/// Where a backbone's initial weights come from: ImageNet weights from the weight store, a file the user has, or
/// random initialisation. <see cref="TransferModelBuilder"/> calls <see cref="LoadInto"/> on the full, untruncated
/// base before it truncates it.
/// </summary>
public interface IWeightsSource
{
    /// <summary>Human-readable description, for logs and the model manifest (for example "imagenet (resnet18_cntk, ResNet18.onnx)").</summary>
    string Description { get; }

    /// <summary>
    /// Stable identity of the weights, used in feature-cache keys and manifests: for a file, its SHA-256; for random
    /// initialisation, "random" (random weights are never cached).
    /// </summary>
    string Fingerprint { get; }

    /// <summary>Loads the weights into <paramref name="backbone"/>, checking every key and shape.</summary>
    /// <param name="backbone">The full, untruncated base. Its state-dict keys are torchvision's keys without the old classifier.</param>
    /// <param name="cancellationToken">Cancels a download or a long read.</param>
    void LoadInto(BackboneModule backbone, CancellationToken cancellationToken = default);
}
