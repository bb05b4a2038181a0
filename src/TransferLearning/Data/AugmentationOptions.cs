using System.Globalization;

namespace TransferLearning.Data;

/// <summary>
/// Random augmentation for the training split (torchvision/fastai style). Every draw comes from a random generator
/// derived from the loader's seed, the epoch and the sample index, so augmentations are reproducible. Set a value to
/// its "off" setting (or use <see cref="None"/>) to switch a transform off.
/// </summary>
public sealed record AugmentationOptions
{
    /// <summary>
    /// Whether a random resized crop is taken (torchvision's <c>RandomResizedCrop</c>): a crop of random area in
    /// [<see cref="MinCropScale"/>, <see cref="MaxCropScale"/>] of the image and aspect ratio in
    /// [<see cref="MinCropRatio"/>, <see cref="MaxCropRatio"/>], resized to the input size. When off, the evaluation
    /// geometry (resize + centre crop or stretch) is used. Default <see langword="true"/>.
    /// </summary>
    public bool RandomResizedCrop { get; init; } = true;

    /// <summary>Smallest crop area as a share of the image. Default 0.35 (fastai's transfer-learning recipes; torchvision uses 0.08).</summary>
    public double MinCropScale { get; init; } = 0.35;

    /// <summary>Largest crop area as a share of the image. Default 1.</summary>
    public double MaxCropScale { get; init; } = 1.0;

    /// <summary>Smallest crop aspect ratio (width / height). Default 3/4.</summary>
    public double MinCropRatio { get; init; } = 3.0 / 4.0;

    /// <summary>Largest crop aspect ratio (width / height). Default 4/3.</summary>
    public double MaxCropRatio { get; init; } = 4.0 / 3.0;

    /// <summary>Probability of a horizontal flip; 0 switches flipping off. Default 0.5.</summary>
    public double HorizontalFlipProbability { get; init; } = 0.5;

    /// <summary>Largest rotation in degrees (uniform in [-x, x], corners filled black); 0 switches it off. Default 10.</summary>
    public double MaxRotationDegrees { get; init; } = 10;

    /// <summary>Brightness jitter: pixels are multiplied by a factor uniform in [1-x, 1+x]; 0 is off. Default 0.2.</summary>
    public double Brightness { get; init; } = 0.2;

    /// <summary>Contrast jitter: the distance to the image's mean grey is multiplied by a factor in [1-x, 1+x]; 0 is off. Default 0.2.</summary>
    public double Contrast { get; init; } = 0.2;

    /// <summary>Saturation jitter: the distance to each pixel's grey is multiplied by a factor in [1-x, 1+x]; 0 is off. Default 0.2.</summary>
    public double Saturation { get; init; } = 0.2;

    /// <summary>The defaults: random resized crop, flip, ±10° rotation and ±20 % brightness/contrast/saturation.</summary>
    public static AugmentationOptions Default { get; } = new();

    /// <summary>Everything off: training images get the evaluation transform.</summary>
    public static AugmentationOptions None { get; } = new()
    {
        RandomResizedCrop = false,
        HorizontalFlipProbability = 0,
        MaxRotationDegrees = 0,
        Brightness = 0,
        Contrast = 0,
        Saturation = 0,
    };

    /// <summary>Whether any random transform is on.</summary>
    public bool IsEnabled => RandomResizedCrop || HorizontalFlipProbability > 0 || MaxRotationDegrees > 0 || HasColorJitter;

    /// <summary>Whether brightness, contrast or saturation jitter is on.</summary>
    public bool HasColorJitter => Brightness > 0 || Contrast > 0 || Saturation > 0;

    /// <summary>Checks the values; throws <see cref="ArgumentOutOfRangeException"/> when one is out of range.</summary>
    public void Validate()
    {
        Check(MinCropScale > 0 && MinCropScale <= MaxCropScale && MaxCropScale <= 1, nameof(MinCropScale), "0 < MinCropScale <= MaxCropScale <= 1");
        Check(MinCropRatio > 0 && MinCropRatio <= MaxCropRatio, nameof(MinCropRatio), "0 < MinCropRatio <= MaxCropRatio");
        Check(HorizontalFlipProbability is >= 0 and <= 1, nameof(HorizontalFlipProbability), "0..1");
        Check(MaxRotationDegrees is >= 0 and <= 180, nameof(MaxRotationDegrees), "0..180");
        Check(Brightness is >= 0 and < 1, nameof(Brightness), "[0, 1)");
        Check(Contrast is >= 0 and < 1, nameof(Contrast), "[0, 1)");
        Check(Saturation >= 0 && Saturation < 1, nameof(Saturation), "[0, 1)");

        static void Check(bool ok, string name, string range)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(name, $"{name} must be in {range}.");
            }
        }
    }

    /// <summary>A stable description of the settings, for fingerprints.</summary>
    internal string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"rrc={RandomResizedCrop}:{MinCropScale:R}-{MaxCropScale:R}:{MinCropRatio:R}-{MaxCropRatio:R};flip={HorizontalFlipProbability:R};rot={MaxRotationDegrees:R};b={Brightness:R};c={Contrast:R};s={Saturation:R}");
}
