using TorchSharp;
using static TorchSharp.torch;

namespace TransferLearning.Heads;

/// <summary>Parameter-free pooling of a feature map <c>[N, C, H, W]</c> into vectors <c>[N, F]</c>.</summary>
public sealed class GlobalPooling : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the pooling layer.</summary>
    /// <param name="kind">Pooling kind.</param>
    public GlobalPooling(PoolingKind kind) : base(nameof(GlobalPooling))
    {
        Kind = kind;
    }

    /// <summary>The pooling kind.</summary>
    public PoolingKind Kind { get; }

    /// <summary>Number of output features for a feature map of the given shape.</summary>
    /// <param name="channels">Channels of the map.</param>
    /// <param name="height">Height of the map.</param>
    /// <param name="width">Width of the map.</param>
    public int OutputSize(int channels, int height, int width) => Kind switch
    {
        PoolingKind.AverageMax => 2 * channels,
        PoolingKind.Flatten => channels * height * width,
        _ => channels,
    };

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor result = Kind switch
        {
            PoolingKind.Average => input.mean(new long[] { 2, 3 }),
            PoolingKind.Max => input.amax(new long[] { 2, 3 }),
            PoolingKind.AverageMax => cat(new[] { input.mean(new long[] { 2, 3 }), input.amax(new long[] { 2, 3 }) }, 1),
            _ => input.flatten(1),
        };
        return result.MoveToOuterDisposeScope();
    }
}
