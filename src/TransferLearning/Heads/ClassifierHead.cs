using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLearning.Heads;

/// <summary>
/// The new head: <c>pool</c> (parameter-free, see <see cref="GlobalPooling"/>) followed by <c>mlp</c> (a
/// <c>Sequential</c> built from <see cref="HeadOptions"/>). Splitting the two lets a trainer cache pooled features.
/// </summary>
public sealed class ClassifierHead : Module<Tensor, Tensor>
{
    private readonly GlobalPooling pool;
    private readonly Module<Tensor, Tensor> mlp;

    /// <summary>Creates the head.</summary>
    /// <param name="options">Head layout.</param>
    /// <param name="featureSize">Size of the pooled features.</param>
    /// <param name="classes">Number of output classes.</param>
    /// <param name="normalizeInput">Whether to put BatchNorm1d on the input.</param>
    public ClassifierHead(HeadOptions options, int featureSize, int classes, bool normalizeInput) : base(nameof(ClassifierHead))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        Options = options;
        FeatureSize = featureSize;
        ClassCount = classes;

        pool = new GlobalPooling(options.Pooling);
        var layers = new List<(string, Module<Tensor, Tensor>)>();
        void Add(Module<Tensor, Tensor> m) => layers.Add((layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), m));
        if (normalizeInput)
        {
            Add(BatchNorm1d(featureSize));
        }

        int inputs = featureSize;
        foreach (int hidden in options.HiddenSizes)
        {
            Add(Linear(inputs, hidden, hasBias: !options.BatchNorm));
            if (options.BatchNorm)
            {
                Add(BatchNorm1d(hidden));
            }

            Add(options.Activation switch
            {
                HeadActivation.GELU => GELU(),
                HeadActivation.SiLU => SiLU(),
                HeadActivation.Tanh => Tanh(),
                HeadActivation.LeakyReLU => LeakyReLU(0.01),
                _ => ReLU(),
            });
            if (options.Dropout > 0)
            {
                Add(Dropout(options.Dropout));
            }

            inputs = hidden;
        }

        if (options.HiddenSizes.Count == 0 && options.Dropout > 0)
        {
            Add(Dropout(options.Dropout));
        }

        Add(Linear(inputs, classes));
        mlp = Sequential(layers.ToArray());
        NormalizesInput = normalizeInput;
        RegisterComponents();
    }

    /// <summary>The layout the head was built from.</summary>
    public HeadOptions Options { get; }

    /// <summary>Size of the pooled features the MLP takes.</summary>
    public int FeatureSize { get; }

    /// <summary>Number of output classes.</summary>
    public int ClassCount { get; }

    /// <summary>Whether the head starts with BatchNorm1d on its input.</summary>
    public bool NormalizesInput { get; }

    /// <summary>The pooling layer.</summary>
    public GlobalPooling Pool => pool;

    /// <summary>The MLP (pooled features to logits).</summary>
    public Module<Tensor, Tensor> Mlp => mlp;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return mlp.call(pool.call(input)).MoveToOuterDisposeScope();
    }
}
