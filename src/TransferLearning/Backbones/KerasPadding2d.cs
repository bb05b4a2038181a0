using TorchSharp;
using static TorchSharp.torch;

namespace TransferLearning.Backbones;

/// <summary>
/// Keras' zero padding in front of a convolution: either fixed amounts (<c>ZeroPadding2D(((top, bottom), (left,
/// right)))</c>, for example MobileNet's <c>((0, 1), (0, 1))</c> before a stride-2 depthwise convolution) or the
/// amounts TensorFlow's <c>padding="same"</c> uses for a given kernel and stride, computed from the input size at run
/// time: the total <c>max((ceil(n / s) - 1) * s + k - n, 0)</c> split with the extra pixel at the bottom/right. For a
/// known input size that equals Keras' <c>correct_pad</c> padding (MobileNetV2). PyTorch pads symmetrically, which
/// shifts every stride-2 output by one pixel against Keras.
/// </summary>
public sealed class KerasPadding2d : nn.Module<Tensor, Tensor>
{
    private KerasPadding2d(string name, bool same, int kernel, int stride, int top, int bottom, int left, int right)
        : base(name)
    {
        IsSame = same;
        Kernel = kernel;
        Stride = stride;
        Top = top;
        Bottom = bottom;
        Left = left;
        Right = right;
    }

    /// <summary>Whether the amounts are TensorFlow "same" padding computed from the input (else fixed).</summary>
    public bool IsSame { get; }

    /// <summary>For "same" padding: the convolution's kernel size.</summary>
    public int Kernel { get; }

    /// <summary>For "same" padding: the convolution's stride.</summary>
    public int Stride { get; }

    /// <summary>Fixed padding: rows added at the top.</summary>
    public int Top { get; }

    /// <summary>Fixed padding: rows added at the bottom.</summary>
    public int Bottom { get; }

    /// <summary>Fixed padding: columns added on the left.</summary>
    public int Left { get; }

    /// <summary>Fixed padding: columns added on the right.</summary>
    public int Right { get; }

    /// <summary>Fixed zero padding, Keras <c>ZeroPadding2D(((top, bottom), (left, right)))</c>.</summary>
    /// <param name="name">Module name.</param>
    /// <param name="top">Rows at the top.</param>
    /// <param name="bottom">Rows at the bottom.</param>
    /// <param name="left">Columns on the left.</param>
    /// <param name="right">Columns on the right.</param>
    public static KerasPadding2d Fixed(string name, int top, int bottom, int left, int right)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        ArgumentOutOfRangeException.ThrowIfNegative(bottom);
        ArgumentOutOfRangeException.ThrowIfNegative(left);
        ArgumentOutOfRangeException.ThrowIfNegative(right);
        return new KerasPadding2d(name, false, 0, 0, top, bottom, left, right);
    }

    /// <summary>TensorFlow <c>padding="same"</c> for a square kernel and stride, computed per input.</summary>
    /// <param name="name">Module name.</param>
    /// <param name="kernel">Kernel size.</param>
    /// <param name="stride">Stride.</param>
    public static KerasPadding2d Same(string name, int kernel, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        return new KerasPadding2d(name, true, kernel, stride, 0, 0, 0, 0);
    }

    /// <summary>The amounts (top, bottom, left, right) this module adds to an input of the given size.</summary>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    public (int Top, int Bottom, int Left, int Right) AmountsFor(long height, long width)
    {
        if (!IsSame)
        {
            return (Top, Bottom, Left, Right);
        }

        (int before, int after) Split(long n)
        {
            long output = (n + Stride - 1) / Stride;
            long total = Math.Max(((output - 1) * Stride) + Kernel - n, 0);
            return ((int)(total / 2), (int)(total - (total / 2)));
        }

        var (top, bottom) = Split(height);
        var (left, right) = Split(width);
        return (top, bottom, left, right);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        var (top, bottom, left, right) = AmountsFor(input.shape[^2], input.shape[^1]);
        return top + bottom + left + right == 0
            ? input.alias()
            : nn.functional.pad(input, new long[] { left, right, top, bottom }, PaddingModes.Constant, 0);
    }
}
