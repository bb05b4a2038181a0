namespace TransferLearning.Backbones;

/// <summary>
/// A named block of a backbone: the unit of truncation ("cut after block3") and of unfreezing ("unfreeze the top 2
/// blocks"). Blocks are listed bottom (input) to top (output) and together cover every parameter of the base.
/// </summary>
public sealed record BackboneBlock
{
    /// <summary>Block name, for example "block5" (VGG16), "layer4" (ResNet) or "stem".</summary>
    public required string Name { get; init; }

    /// <summary>
    /// Names of the units (children of the backbone's container, or top-level children when there is no container)
    /// that make up the block, in execution order, for example ["conv1", "bn1", "relu", "maxpool"] or ["0", "1", "2"].
    /// </summary>
    public required IReadOnlyList<string> Units { get; init; }

    /// <summary>Channels of the block's output feature map.</summary>
    public required int OutputChannels { get; init; }

    /// <summary>Total down-sampling factor from the input image to the block's output (for example 32 for the last ResNet stage).</summary>
    public required int Stride { get; init; }

    /// <summary>For example <c>layer4 [layer4]: 512 channels, stride 32</c>.</summary>
    public override string ToString() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"{Name} [{string.Join(", ", Units)}]: {OutputChannels} channels, stride {Stride}");
}
