namespace TransferLearning.Backbones;

/// <summary>
/// A Keras layer with weights and where its weights go in the backbone: the layer <see cref="Name"/> as Keras writes
/// it in <c>.h5</c> files (<c>conv_pw_3</c>, <c>block_2_expand_BN</c>, <c>conv4_block6_2_conv</c>), its class, and the
/// state-dict prefix of the matching module (<see langword="null"/> for the old classifier, which is skipped).
/// </summary>
public sealed record KerasLayer
{
    /// <summary>Keras layer name.</summary>
    public required string Name { get; init; }

    /// <summary>Keras layer class.</summary>
    public required KerasLayerKind Kind { get; init; }

    /// <summary>State-dict prefix of the module (for example "block_2.block_2_expand"), or <see langword="null"/> for a layer of the old classifier.</summary>
    public string? Key { get; init; }
}
