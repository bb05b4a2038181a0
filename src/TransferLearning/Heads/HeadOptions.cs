namespace TransferLearning.Heads;

/// <summary>
/// The new classifier put on top of the base: pooling, then an MLP. Layout:
/// <c>pool -> [BatchNorm1d] -> (Linear -> [BatchNorm1d] -> activation -> Dropout) per hidden size -> Dropout -> Linear(classes)</c>
/// (the final Dropout only when there is no hidden layer, as in the Keras guide's <c>Dropout(0.2) -> Dense</c>).
/// </summary>
public sealed record HeadOptions
{
    /// <summary>Pooling of the base's feature map. Default <see cref="PoolingKind.Average"/>.</summary>
    public PoolingKind Pooling { get; init; } = PoolingKind.Average;

    /// <summary>Sizes of the hidden layers, input to output; empty for a linear head. Default [256].</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = new[] { 256 };

    /// <summary>Activation after each hidden layer. Default <see cref="HeadActivation.ReLU"/>.</summary>
    public HeadActivation Activation { get; init; } = HeadActivation.ReLU;

    /// <summary>Dropout probability after each hidden layer (or before the output layer of a linear head), in [0, 1). Default 0.2.</summary>
    public double Dropout { get; init; } = 0.2;

    /// <summary>BatchNorm1d after each hidden Linear layer. Default false.</summary>
    public bool BatchNorm { get; init; }

    /// <summary>Normalisation of the head's input. Default <see cref="InputNormalization.Auto"/> (on when the base is truncated).</summary>
    public InputNormalization InputNormalization { get; init; } = InputNormalization.Auto;

    /// <summary>A linear head (no hidden layer) with the given dropout before the output layer.</summary>
    /// <param name="dropout">Dropout probability.</param>
    public static HeadOptions Linear(double dropout = 0.2) => new() { HiddenSizes = Array.Empty<int>(), Dropout = dropout };

    /// <summary>fastai's <c>create_head</c>: concat pooling, BatchNorm, hidden 512, dropout 0.5.</summary>
    public static HeadOptions FastAi { get; } = new()
    {
        Pooling = PoolingKind.AverageMax,
        HiddenSizes = new[] { 512 },
        Dropout = 0.5,
        BatchNorm = true,
        InputNormalization = InputNormalization.BatchNorm,
    };

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A hidden size is not positive or the dropout is outside [0, 1).</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(HiddenSizes);
        foreach (int size in HiddenSizes)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, nameof(HiddenSizes));
        }

        if (double.IsNaN(Dropout) || Dropout < 0 || Dropout >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        }

        if (!Enum.IsDefined(Pooling) || !Enum.IsDefined(Activation) || !Enum.IsDefined(InputNormalization))
        {
            throw new ArgumentOutOfRangeException(nameof(Pooling), "Unknown pooling, activation or input normalisation value.");
        }
    }

    /// <summary>For example <c>Average pooling -> Linear(256) -> ReLU -> Dropout(0.2) -> Linear(classes)</c>.</summary>
    public override string ToString()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var parts = new List<string> { $"{Pooling} pooling" };
        if (InputNormalization != InputNormalization.None)
        {
            parts.Add(InputNormalization == InputNormalization.BatchNorm ? "BatchNorm1d" : "BatchNorm1d (auto: when truncated)");
        }

        foreach (int hidden in HiddenSizes)
        {
            parts.Add(string.Create(c, $"Linear({hidden})"));
            if (BatchNorm)
            {
                parts.Add("BatchNorm1d");
            }

            parts.Add(Activation.ToString());
            if (Dropout > 0)
            {
                parts.Add(string.Create(c, $"Dropout({Dropout:G3})"));
            }
        }

        if (HiddenSizes.Count == 0 && Dropout > 0)
        {
            parts.Add(string.Create(c, $"Dropout({Dropout:G3})"));
        }

        parts.Add("Linear(classes)");
        return string.Join(" -> ", parts);
    }
}
