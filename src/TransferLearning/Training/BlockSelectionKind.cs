namespace TransferLearning.Training;

/// <summary>Kinds of <see cref="BlockSelection"/>.</summary>
public enum BlockSelectionKind
{
    /// <summary>Base frozen.</summary>
    Frozen,

    /// <summary>The top N blocks train.</summary>
    Top,

    /// <summary>A named block and those above it train.</summary>
    From,

    /// <summary>Every block trains.</summary>
    All,
}
