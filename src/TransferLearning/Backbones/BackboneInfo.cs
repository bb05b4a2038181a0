using TorchSharp;
using TransferLearning.Data;
using TransferLearning.Weights;

namespace TransferLearning.Backbones;

/// <summary>
/// One entry of the backbone catalogue (fastai's <c>model_meta</c>, Keras Applications): how to build the network,
/// how it splits into named blocks, what its features look like, the preprocessing it expects and which pretrained
/// weights exist for it.
/// </summary>
public sealed record BackboneInfo
{
    /// <summary>Catalogue id, for example "resnet18" or "vgg16".</summary>
    public required string Name { get; init; }

    /// <summary>Display name, for example "ResNet18".</summary>
    public required string DisplayName { get; init; }

    /// <summary>One-line description (architecture, origin of the layout).</summary>
    public string Description { get; init; } = "";

    /// <summary>
    /// Creates the full network with random weights. Its children (or the children of <see cref="Container"/>) named in
    /// <see cref="Blocks"/> become the base; every other child (the old classifier) is dropped.
    /// </summary>
    public required Func<torch.nn.Module> Factory { get; init; }

    /// <summary>
    /// Name of the child of the full network whose children are the units (for example "features" for VGG and
    /// MobileNet), or <see langword="null"/> when the units are the network's own children (ResNet).
    /// </summary>
    public string? Container { get; init; }

    /// <summary>Named blocks, bottom to top.</summary>
    public required IReadOnlyList<BackboneBlock> Blocks { get; init; }

    /// <summary>Channels of the last block's output, i.e. the feature size after global pooling of the full base.</summary>
    public int FeatureChannels => Blocks[^1].OutputChannels;

    /// <summary>Input size the pretrained weights were trained at (224 for all current entries).</summary>
    public int DefaultInputSize { get; init; } = 224;

    /// <summary>Smallest input size the full base accepts.</summary>
    public int MinInputSize { get; init; } = 32;

    /// <summary>The preprocessing the pretrained weights expect.</summary>
    public required ImagePreprocessing Preprocessing { get; init; }

    /// <summary>Published pretrained weights for this backbone.</summary>
    public IReadOnlyList<PretrainedWeightsInfo> Pretrained { get; init; } = Array.Empty<PretrainedWeightsInfo>();

    /// <summary>Key prefixes of the old classifier in full-model weight files (for example "fc.", "classifier."), skipped when loading.</summary>
    public IReadOnlyList<string> ClassifierKeyPrefixes { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The Keras layers with weights, in Keras' <c>model.layers</c> order, each with the state-dict prefix of its module
    /// (<see cref="KerasApplications"/>); <see langword="null"/> when the backbone has no Keras counterpart. Keras
    /// <c>.h5</c> files are mapped with it, by layer name (Keras 2 files) or by class and position (Keras 3 files).
    /// </summary>
    public IReadOnlyList<KerasLayer>? KerasLayers { get; init; }

    /// <summary>Layers of the Keras model's old classifier (<c>include_top=True</c> files), skipped when loading.</summary>
    public IReadOnlyList<KerasLayer> KerasTopLayers { get; init; } = Array.Empty<KerasLayer>();

    /// <summary>Returns the block with the given name.</summary>
    /// <param name="name">Block name (case-insensitive).</param>
    /// <exception cref="ArgumentException">No block has that name; the message lists the valid names.</exception>
    public BackboneBlock GetBlock(string name) => Blocks[IndexOfBlock(name)];

    /// <summary>Returns the position of the block with the given name, bottom = 0.</summary>
    /// <param name="name">Block name (case-insensitive).</param>
    /// <exception cref="ArgumentException">No block has that name; the message lists the valid names.</exception>
    public int IndexOfBlock(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        for (int i = 0; i < Blocks.Count; i++)
        {
            if (string.Equals(Blocks[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new ArgumentException(
            $"Backbone '{Name}' has no block named '{name}'. Valid blocks: {string.Join(", ", Blocks.Select(b => b.Name))}.",
            nameof(name));
    }
}
