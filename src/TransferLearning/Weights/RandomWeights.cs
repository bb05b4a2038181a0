using TransferLearning.Backbones;

namespace TransferLearning.Weights;

/// <summary>Keeps the random initialisation of the base (Keras <c>weights=None</c>): for baselines and tests.</summary>
public sealed class RandomWeights : IWeightsSource
{
    /// <summary>The single instance.</summary>
    public static RandomWeights Instance { get; } = new();

    private RandomWeights()
    {
    }

    /// <inheritdoc/>
    public string Description => "random initialisation";

    /// <inheritdoc/>
    public string Fingerprint => "random";

    /// <inheritdoc/>
    public void LoadInto(BackboneModule backbone, CancellationToken cancellationToken = default) => ArgumentNullException.ThrowIfNull(backbone);
}
