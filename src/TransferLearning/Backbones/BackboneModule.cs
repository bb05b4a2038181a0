using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferLearning.Backbones;

/// <summary>
/// The convolutional base of a transfer model: the catalogue network without its old classifier, optionally truncated
/// after a named block. Its state-dict keys are exactly torchvision's keys of the full network minus the classifier
/// (for example <c>conv1.weight</c>, <c>layer1.0.bn1.running_mean</c>, <c>features.0.weight</c>), so published weight
/// files load into it directly. The forward pass returns the unpooled feature map <c>[N, C, H, W]</c>.
/// </summary>
public sealed class BackboneModule : nn.Module<Tensor, Tensor>
{
    private readonly List<(string Name, nn.Module<Tensor, Tensor> Module)> units;
    private readonly int[] blockEnds;

    private BackboneModule(BackboneInfo info, List<(string Name, nn.Module<Tensor, Tensor> Module)> units, int blockCount)
        : base(info.Name)
    {
        Info = info;
        this.units = units;
        BlockCount = blockCount;
        blockEnds = new int[blockCount];
        int end = 0;
        for (int b = 0; b < blockCount; b++)
        {
            end += info.Blocks[b].Units.Count;
            blockEnds[b] = end;
        }

        if (info.Container is not null)
        {
            // Registered for its key names only; no field holds it, so a parent's RegisterComponents() cannot register it twice.
            register_module(info.Container, nn.Sequential(units.Select(u => (u.Name, u.Module)).ToArray()));
        }
        else
        {
            foreach (var (name, module) in units)
            {
                register_module(name, module);
            }
        }
    }

    /// <summary>The catalogue entry this base was built from.</summary>
    public BackboneInfo Info { get; }

    /// <summary>Number of blocks present (all of <see cref="BackboneInfo.Blocks"/> unless truncated).</summary>
    public int BlockCount { get; }

    /// <summary>Names of the blocks present, bottom to top.</summary>
    public IReadOnlyList<string> BlockNames => Info.Blocks.Take(BlockCount).Select(b => b.Name).ToArray();

    /// <summary>Whether the base was truncated before its last block.</summary>
    public bool IsTruncated => BlockCount < Info.Blocks.Count;

    /// <summary>Channels of the output feature map.</summary>
    public int OutputChannels => Info.Blocks[BlockCount - 1].OutputChannels;

    /// <summary>Total down-sampling factor of the output feature map.</summary>
    public int OutputStride => Info.Blocks[BlockCount - 1].Stride;

    /// <summary>Creates the full base of a catalogue entry with random weights.</summary>
    /// <param name="info">The catalogue entry.</param>
    public static BackboneModule Create(BackboneInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var network = info.Factory();
        var children = network.named_children().ToDictionary(c => c.name, c => c.module);
        IDictionary<string, nn.Module> source = children;
        if (info.Container is not null)
        {
            if (!children.TryGetValue(info.Container, out var parent))
            {
                throw new InvalidOperationException($"Backbone '{info.Name}': the network has no child '{info.Container}'.");
            }

            source = parent.named_children().ToDictionary(c => c.name, c => c.module);
        }

        var units = new List<(string, nn.Module<Tensor, Tensor>)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var block in info.Blocks)
        {
            foreach (var unit in block.Units)
            {
                if (!source.TryGetValue(unit, out var module) || module is not nn.Module<Tensor, Tensor> typed)
                {
                    throw new InvalidOperationException($"Backbone '{info.Name}': block '{block.Name}' names unit '{unit}', which the network lacks.");
                }

                units.Add((unit, typed));
                used.Add(unit);
            }
        }

        // Free the old classifier (VGG's is 120M parameters) and anything else not in a block.
        foreach (var (name, module) in source)
        {
            if (!used.Contains(name))
            {
                module.Dispose();
            }
        }

        if (info.Container is not null)
        {
            foreach (var (name, module) in children)
            {
                if (name != info.Container)
                {
                    module.Dispose();
                }
            }
        }

        return new BackboneModule(info, units, info.Blocks.Count);
    }

    /// <summary>
    /// Returns a base that keeps the blocks up to and including <paramref name="blockName"/> (sharing their modules with
    /// this one) and disposes the modules of the blocks above it. This instance must not be used afterwards.
    /// </summary>
    /// <param name="blockName">Last block to keep.</param>
    /// <exception cref="ArgumentException">Unknown block name; the message lists the valid names.</exception>
    public BackboneModule TruncateAfter(string blockName)
    {
        int index = Info.IndexOfBlock(blockName);
        if (index >= BlockCount)
        {
            throw new ArgumentException($"Block '{blockName}' was already removed from this base.", nameof(blockName));
        }

        int keep = blockEnds[index];
        var kept = units.Take(keep).ToList();
        foreach (var (_, module) in units.Skip(keep))
        {
            module.Dispose();
        }

        return new BackboneModule(Info, kept, index + 1);
    }

    /// <summary>The modules of one block, in execution order.</summary>
    /// <param name="blockIndex">Block position, bottom = 0.</param>
    public IReadOnlyList<nn.Module<Tensor, Tensor>> GetBlockModules(int blockIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blockIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(blockIndex, BlockCount);
        int start = blockIndex == 0 ? 0 : blockEnds[blockIndex - 1];
        return units.Skip(start).Take(blockEnds[blockIndex] - start).Select(u => u.Module).ToArray();
    }

    /// <summary>The parameters of one block.</summary>
    /// <param name="blockIndex">Block position, bottom = 0.</param>
    public IReadOnlyList<Parameter> GetBlockParameters(int blockIndex) =>
        GetBlockModules(blockIndex).SelectMany(m => m.parameters()).ToArray();

    /// <summary>The BatchNorm layers of one block.</summary>
    /// <param name="blockIndex">Block position, bottom = 0.</param>
    public IReadOnlyList<nn.Module> GetBlockBatchNorms(int blockIndex) =>
        GetBlockModules(blockIndex).SelectMany(m => m.modules().Prepend(m)).Where(IsBatchNorm).Distinct().ToArray();

    /// <summary>Whether a module is a BatchNorm layer (1d, 2d or 3d).</summary>
    /// <param name="module">The module.</param>
    public static bool IsBatchNorm(nn.Module module) => module is BatchNorm1d or BatchNorm2d or BatchNorm3d;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input;
        foreach (var (_, module) in units)
        {
            x = module.call(x);
        }

        return x.MoveToOuterDisposeScope();
    }
}
