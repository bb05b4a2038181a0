namespace TransferLearning.Training;

/// <summary>Which base blocks a <see cref="TrainingPhase"/> trains (the head always trains).</summary>
public sealed record BlockSelection
{
    private BlockSelection(BlockSelectionKind kind, int count, string? block)
    {
        Kind = kind;
        Count = count;
        Block = block;
    }

    /// <summary>The kind of selection.</summary>
    public BlockSelectionKind Kind { get; }

    /// <summary>For <see cref="BlockSelectionKind.Top"/>: number of top blocks.</summary>
    public int Count { get; }

    /// <summary>For <see cref="BlockSelectionKind.From"/>: the lowest block that trains.</summary>
    public string? Block { get; }

    /// <summary>The whole base is frozen (feature extraction).</summary>
    public static BlockSelection Frozen { get; } = new(BlockSelectionKind.Frozen, 0, null);

    /// <summary>Every base block trains.</summary>
    public static BlockSelection All { get; } = new(BlockSelectionKind.All, 0, null);

    /// <summary>The top <paramref name="blocks"/> base blocks train (clamped to the blocks present).</summary>
    /// <param name="blocks">At least 1.</param>
    public static BlockSelection Top(int blocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocks);
        return new(BlockSelectionKind.Top, blocks, null);
    }

    /// <summary>The named block and every block above it train.</summary>
    /// <param name="block">Block name, for example "layer3".</param>
    public static BlockSelection From(string block)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(block);
        return new(BlockSelectionKind.From, 0, block);
    }

    /// <summary>Number of trainable base blocks this selection gives on <paramref name="model"/>.</summary>
    /// <param name="model">The model.</param>
    public int TrainableBlockCount(TransferModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int n = model.BlockNames.Count;
        return Kind switch
        {
            BlockSelectionKind.Frozen => 0,
            BlockSelectionKind.All => n,
            BlockSelectionKind.Top => Math.Min(Count, n),
            _ => n - IndexOf(model, Block!),
        };
    }

    /// <summary>Applies the selection to <paramref name="model"/>.</summary>
    /// <param name="model">The model.</param>
    /// <exception cref="ArgumentException">The named block is not present in the model.</exception>
    public void ApplyTo(TransferModel model) => model.UnfreezeTop(TrainableBlockCount(model));

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        BlockSelectionKind.Top => $"top {Count}",
        BlockSelectionKind.From => $"from {Block}",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    private static int IndexOf(TransferModel model, string block)
    {
        for (int i = 0; i < model.BlockNames.Count; i++)
        {
            if (string.Equals(model.BlockNames[i], block, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new ArgumentException($"Block '{block}' is not in the model. Present blocks: {string.Join(", ", model.BlockNames)}.", nameof(block));
    }
}
