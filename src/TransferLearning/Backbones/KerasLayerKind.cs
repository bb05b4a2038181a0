namespace TransferLearning.Backbones;

/// <summary>The Keras layer classes whose weights the library maps (Keras 3 files name their groups after these).</summary>
public enum KerasLayerKind
{
    /// <summary><c>Conv2D</c>: kernel (H, W, in, out), optional bias.</summary>
    Conv2D,

    /// <summary><c>DepthwiseConv2D</c>: depthwise kernel (H, W, in, multiplier), optional bias.</summary>
    DepthwiseConv2D,

    /// <summary><c>BatchNormalization</c>: gamma, beta, moving mean, moving variance.</summary>
    BatchNormalization,

    /// <summary><c>Dense</c>: kernel (in, out), bias (only in the old classifier here).</summary>
    Dense,
}
