namespace TransferLearning.Data;

/// <summary>How an image is resized before it is turned into a tensor.</summary>
public enum ResizeMode
{
    /// <summary>Resize so that the shorter side equals <see cref="ImagePreprocessing.ResizeSize"/>, then take a centred square crop of <see cref="ImagePreprocessing.InputSize"/> (torchvision's evaluation transform).</summary>
    ShorterSideThenCenterCrop,

    /// <summary>Resize directly to <see cref="ImagePreprocessing.InputSize"/> x <see cref="ImagePreprocessing.InputSize"/>, ignoring the aspect ratio (Keras' <c>image_dataset_from_directory</c>).</summary>
    Stretch,
}

/// <summary>Order of the colour channels in the tensor a backbone expects.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (torchvision, Keras "torch" and "tf" modes).</summary>
    Rgb,

    /// <summary>Blue, green, red (Keras "caffe" mode, CNTK/ML.NET ResNet18).</summary>
    Bgr,
}

/// <summary>
/// The preprocessing a backbone expects, from decoded 8-bit RGB pixels to a normalised NCHW float tensor:
/// <c>value = (pixel * Scale - Mean[c]) / Std[c]</c>, with channels in <see cref="ChannelOrder"/> order
/// (so <see cref="Mean"/> and <see cref="Std"/> are given in that order too).
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>Largest <see cref="InputSize"/> accepted: 16384 (an image's 3 x S x S floats must fit one array).</summary>
    public const int MaxInputSize = 16384;

    /// <summary>Side of the square input, in pixels (at most <see cref="MaxInputSize"/>). Default 224.</summary>
    public int InputSize { get; init; } = 224;

    /// <summary>Side the shorter edge is resized to before a centre crop, in pixels (only for <see cref="ResizeMode.ShorterSideThenCenterCrop"/>). Default 256.</summary>
    public int ResizeSize { get; init; } = 256;

    /// <summary>Resize rule. Default <see cref="ResizeMode.ShorterSideThenCenterCrop"/>.</summary>
    public ResizeMode ResizeMode { get; init; } = ResizeMode.ShorterSideThenCenterCrop;

    /// <summary>Channel order of the tensor. Default <see cref="ChannelOrder.Rgb"/>.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Factor applied to 0..255 pixel values before the mean is subtracted. Default 1/255.</summary>
    public float Scale { get; init; } = 1f / 255f;

    /// <summary>Per-channel mean subtracted after scaling, in <see cref="ChannelOrder"/> order. Default ImageNet RGB mean.</summary>
    public IReadOnlyList<float> Mean { get; init; } = new[] { 0.485f, 0.456f, 0.406f };

    /// <summary>Per-channel standard deviation divided by after the mean is subtracted, in <see cref="ChannelOrder"/> order. Default ImageNet RGB std.</summary>
    public IReadOnlyList<float> Std { get; init; } = new[] { 0.229f, 0.224f, 0.225f };

    /// <summary>Short name of the convention, for display (for example "torch", "caffe", "tf").</summary>
    public string Mode { get; init; } = "torch";

    /// <summary>torchvision / Keras "torch" mode: RGB, 0..1, ImageNet mean and std, resize 256 then centre-crop 224.</summary>
    public static ImagePreprocessing Torch { get; } = new();

    /// <summary>Keras "caffe" mode (VGG16/ResNet50 in Keras Applications): BGR, 0..255, minus 103.939/116.779/123.68, no std.</summary>
    public static ImagePreprocessing Caffe { get; } = new()
    {
        Mode = "caffe",
        ChannelOrder = ChannelOrder.Bgr,
        Scale = 1f,
        Mean = new[] { 103.939f, 116.779f, 123.68f },
        Std = new[] { 1f, 1f, 1f },
        ResizeMode = ResizeMode.Stretch,
    };

    /// <summary>Keras "tf" mode (MobileNet in Keras Applications): RGB scaled to -1..1.</summary>
    public static ImagePreprocessing Tf { get; } = new()
    {
        Mode = "tf",
        Scale = 1f / 127.5f,
        Mean = new[] { 1f, 1f, 1f },
        Std = new[] { 1f, 1f, 1f },
        ResizeMode = ResizeMode.Stretch,
    };

    /// <summary>
    /// The ML.NET/CNTK ResNet18 featurizer's own preprocessing (<c>ResNetPreprocess.onnx</c>): BGR, 0..255, minus the
    /// channel means of its mean image (B 103.06, G 115.90, R 123.15), no std, 224x224.
    /// </summary>
    public static ImagePreprocessing CntkResNet { get; } = new()
    {
        Mode = "cntk",
        ChannelOrder = ChannelOrder.Bgr,
        Scale = 1f,
        Mean = new[] { 103.06f, 115.90f, 123.15f },
        Std = new[] { 1f, 1f, 1f },
        ResizeMode = ResizeMode.Stretch,
    };

    /// <summary>Returns this preprocessing at another input size (the resize size keeps the 256/224 ratio).</summary>
    /// <param name="inputSize">Side of the square input, in pixels.</param>
    public ImagePreprocessing WithInputSize(int inputSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(inputSize, MaxInputSize);
        return this with { InputSize = inputSize, ResizeSize = (int)Math.Round(inputSize * 256.0 / 224.0) };
    }

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> when one is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(InputSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(InputSize, MaxInputSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(ResizeSize, InputSize);
        if (Mean.Count != 3 || Std.Count != 3)
        {
            throw new ArgumentException("Mean and Std must each have exactly 3 values.");
        }

        if (Std.Any(s => !(s > 0f)) || !(Scale > 0f))
        {
            throw new ArgumentException("Std values and Scale must be positive.");
        }
    }

    /// <summary>For example <c>torch: RGB, resize shorter side to 256 then centre-crop 224, x0.00392, mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]</c>.</summary>
    public override string ToString()
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        string resize = ResizeMode == ResizeMode.Stretch
            ? string.Create(c, $"stretch to {InputSize}x{InputSize}")
            : string.Create(c, $"resize shorter side to {ResizeSize} then centre-crop {InputSize}");
        return string.Create(c, $"{Mode}: {(ChannelOrder == ChannelOrder.Bgr ? "BGR" : "RGB")}, {resize}, x{Scale:G3}, mean [{string.Join(", ", Mean.Select(m => m.ToString("G4", c)))}], std [{string.Join(", ", Std.Select(v => v.ToString("G4", c)))}]");
    }
}
