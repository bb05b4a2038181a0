using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLearning.Backbones;

/// <summary>
/// ResNet basic block (two 3x3 convolutions) with torchvision's parameter names
/// (<c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>downsample.0</c>, <c>downsample.1</c>).
/// </summary>
public sealed class ResNetBasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;

    /// <summary>Creates a block.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="channels">Output channels.</param>
    /// <param name="stride">Stride of the first convolution (2 halves the resolution).</param>
    public ResNetBasicBlock(int inChannels, int channels, int stride) : base(nameof(ResNetBasicBlock))
    {
        conv1 = Conv2d(inChannels, channels, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(channels);
        relu = ReLU(inplace: true);
        conv2 = Conv2d(channels, channels, 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(channels);
        if (stride != 1 || inChannels != channels)
        {
            downsample = Sequential(Conv2d(inChannels, channels, 1, stride: stride, bias: false), BatchNorm2d(channels));
        }

        RegisterComponents();
    }

    /// <summary>Output channels of a basic block relative to its width.</summary>
    public const int Expansion = 1;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? input : downsample.call(input);
        var x = relu.call(bn1.call(conv1.call(input)));
        x = bn2.call(conv2.call(x));
        return relu.call(x.add_(identity)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// ResNet bottleneck block (1x1, 3x3, 1x1 convolutions, expansion 4; stride on the 3x3 as in torchvision v1.5) with
/// torchvision's parameter names (<c>conv1..3</c>, <c>bn1..3</c>, <c>downsample.0/1</c>).
/// </summary>
public sealed class ResNetBottleneck : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly BatchNorm2d bn3;
    private readonly ReLU relu;
    private readonly Sequential? downsample;

    /// <summary>Output channels of a bottleneck block relative to its width.</summary>
    public const int Expansion = 4;

    /// <summary>Creates a block.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="width">Width of the inner convolutions; the block outputs <c>width * 4</c> channels.</param>
    /// <param name="stride">Stride of the 3x3 convolution.</param>
    public ResNetBottleneck(int inChannels, int width, int stride) : base(nameof(ResNetBottleneck))
    {
        int outChannels = width * Expansion;
        conv1 = Conv2d(inChannels, width, 1, bias: false);
        bn1 = BatchNorm2d(width);
        conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, bias: false);
        bn2 = BatchNorm2d(width);
        conv3 = Conv2d(width, outChannels, 1, bias: false);
        bn3 = BatchNorm2d(outChannels);
        relu = ReLU(inplace: true);
        if (stride != 1 || inChannels != outChannels)
        {
            downsample = Sequential(Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), BatchNorm2d(outChannels));
        }

        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var identity = downsample is null ? input : downsample.call(input);
        var x = relu.call(bn1.call(conv1.call(input)));
        x = relu.call(bn2.call(conv2.call(x)));
        x = bn3.call(conv3.call(x));
        return relu.call(x.add_(identity)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The convolutional part of a ResNet (no average pool, no fully connected layer) with torchvision's names:
/// <c>conv1</c>, <c>bn1</c>, <c>relu</c>, <c>maxpool</c>, <c>layer1</c> ... <c>layer4</c>. Any block counts, so it
/// also describes the ImageNet ResNet18 of ML.NET's featurizer, whose stages are [2,2,2,3].
/// </summary>
public sealed class ResNetFeatures : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ReLU relu;
    private readonly MaxPool2d maxpool;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    /// <summary>Creates the network.</summary>
    /// <param name="name">Module name.</param>
    /// <param name="blocks">Number of blocks in each of the four stages, e.g. [2,2,2,2] for ResNet18.</param>
    /// <param name="bottleneck">Bottleneck blocks (ResNet50 and deeper) instead of basic blocks.</param>
    public ResNetFeatures(string name, IReadOnlyList<int> blocks, bool bottleneck) : base(name)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Count != 4 || blocks.Any(b => b <= 0))
        {
            throw new ArgumentException("A ResNet has four stages, each with at least one block.", nameof(blocks));
        }

        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        relu = ReLU(inplace: true);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        int inChannels = 64;
        layer1 = MakeStage(ref inChannels, 64, blocks[0], 1, bottleneck);
        layer2 = MakeStage(ref inChannels, 128, blocks[1], 2, bottleneck);
        layer3 = MakeStage(ref inChannels, 256, blocks[2], 2, bottleneck);
        layer4 = MakeStage(ref inChannels, 512, blocks[3], 2, bottleneck);
        OutputChannels = inChannels;
        RegisterComponents();
    }

    /// <summary>Channels of the last stage's output (512 for basic blocks, 2048 for bottlenecks).</summary>
    public int OutputChannels { get; }

    private static Sequential MakeStage(ref int inChannels, int width, int count, int stride, bool bottleneck)
    {
        var modules = new List<(string, Module<Tensor, Tensor>)>();
        for (int i = 0; i < count; i++)
        {
            Module<Tensor, Tensor> block = bottleneck
                ? new ResNetBottleneck(inChannels, width, i == 0 ? stride : 1)
                : new ResNetBasicBlock(inChannels, width, i == 0 ? stride : 1);
            modules.Add((i.ToString(System.Globalization.CultureInfo.InvariantCulture), block));
            inChannels = width * (bottleneck ? ResNetBottleneck.Expansion : ResNetBasicBlock.Expansion);
        }

        return Sequential(modules);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = maxpool.call(relu.call(bn1.call(conv1.call(input))));
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return x.MoveToOuterDisposeScope();
    }
}
