using TorchSharp;
using static TorchSharp.torch;

namespace TransferLearning.Backbones;

/// <summary>
/// A Keras residual block whose layers keep their Keras names (so state-dict keys read
/// <c>conv2_block1.conv2_block1_1_conv.weight</c>): a main path, an optional shortcut path (empty = identity), an
/// <c>Add</c> when <see cref="HasAdd"/>, and an optional activation after the add (ResNet's <c>_out</c> ReLU).
/// MobileNetV2's inverted residual blocks and Keras ResNet50's blocks are both of this form.
/// </summary>
public sealed class KerasResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly List<(string Name, nn.Module<Tensor, Tensor> Module)> main;
    private readonly List<(string Name, nn.Module<Tensor, Tensor> Module)> shortcut;
    private readonly (string Name, nn.Module<Tensor, Tensor> Module)? output;

    /// <summary>Creates a block.</summary>
    /// <param name="name">Block name (Keras prefix, for example "block_2" or "conv2_block1").</param>
    /// <param name="main">Main path layers, Keras names, in order.</param>
    /// <param name="shortcut">Shortcut path layers (empty for an identity shortcut).</param>
    /// <param name="hasAdd">Whether the block adds the shortcut to the main path.</param>
    /// <param name="output">Activation applied after the add, or <see langword="null"/>.</param>
    public KerasResidualBlock(
        string name,
        IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> main,
        IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> shortcut,
        bool hasAdd,
        (string Name, nn.Module<Tensor, Tensor> Module)? output)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(main);
        ArgumentNullException.ThrowIfNull(shortcut);
        if (!hasAdd && shortcut.Count > 0)
        {
            throw new ArgumentException("A shortcut path needs the add.", nameof(shortcut));
        }

        this.main = main.ToList();
        this.shortcut = shortcut.ToList();
        this.output = output;
        HasAdd = hasAdd;
        foreach (var (layer, module) in this.shortcut.Concat(this.main))
        {
            register_module(layer, module);
        }

        if (output is { } o)
        {
            register_module(o.Name, o.Module);
        }
    }

    /// <summary>Whether the block adds its shortcut to the main path.</summary>
    public bool HasAdd { get; }

    /// <summary>Main path layers, in order.</summary>
    public IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> MainPath => main;

    /// <summary>Shortcut path layers (empty: identity).</summary>
    public IReadOnlyList<(string Name, nn.Module<Tensor, Tensor> Module)> ShortcutPath => shortcut;

    /// <summary>Activation after the add, or <see langword="null"/>.</summary>
    public (string Name, nn.Module<Tensor, Tensor> Module)? Output => output;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var (_, module) in main)
        {
            x = module.call(x);
        }

        if (HasAdd)
        {
            var s = input;
            foreach (var (_, module) in shortcut)
            {
                s = module.call(s);
            }

            x = x.add(s);
        }

        if (output is { } o)
        {
            x = o.Module.call(x);
        }

        return x.MoveToOuterDisposeScope();
    }
}
