namespace TransferLearning.Heads;

/// <summary>Whether the head normalises its input (BatchNorm1d on the pooled features).</summary>
public enum InputNormalization
{
    /// <summary>Normalise when the base is truncated (earlier layers have other feature scales than the last one); not otherwise.</summary>
    Auto,

    /// <summary>Never normalise.</summary>
    None,

    /// <summary>Always normalise with BatchNorm1d (fastai's <c>create_head</c>).</summary>
    BatchNorm,
}
