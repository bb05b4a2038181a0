namespace TransferLearning.Heads;

/// <summary>How the base's feature map <c>[N, C, H, W]</c> becomes the head's input vector.</summary>
public enum PoolingKind
{
    /// <summary>Global average pooling: <c>C</c> features (Keras <c>pooling="avg"</c>, torchvision).</summary>
    Average,

    /// <summary>Global max pooling: <c>C</c> features (Keras <c>pooling="max"</c>).</summary>
    Max,

    /// <summary>Average and max pooling concatenated: <c>2C</c> features (fastai's <c>AdaptiveConcatPool2d</c>).</summary>
    AverageMax,

    /// <summary>Flatten the whole map: <c>C*H*W</c> features (Keras VGG16 <c>Flatten()</c>); depends on the input size.</summary>
    Flatten,
}
