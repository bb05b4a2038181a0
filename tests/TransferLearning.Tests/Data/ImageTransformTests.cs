using SkiaSharp;
using TransferLearning.Data;

namespace TransferLearning.Tests.Data;

public sealed class ImageTransformTests
{
    private static readonly ImagePreprocessing Small = ImagePreprocessing.Torch.WithInputSize(32);

    private static float[] Run(ImageTransform transform, SKBitmap image, Random? random)
    {
        var values = new float[transform.ValuesPerImage];
        transform.Apply(image, random, values);
        return values;
    }

    [Fact]
    public void Apply_TrainingSameSeed_SameOutput()
    {
        using var image = TestImages.Pattern(80, 60, 1);
        var transform = ImageTransform.ForTraining(Small);

        Assert.Equal(Run(transform, image, new Random(5)), Run(transform, image, new Random(5)));
    }

    [Fact]
    public void Apply_TrainingDifferentSeed_DifferentOutput()
    {
        using var image = TestImages.Pattern(80, 60, 1);
        var transform = ImageTransform.ForTraining(Small);

        Assert.NotEqual(Run(transform, image, new Random(5)), Run(transform, image, new Random(6)));
    }

    [Fact]
    public void ForTraining_AugmentationNone_EqualsEvaluation()
    {
        using var image = TestImages.Pattern(80, 60, 2);
        var training = ImageTransform.ForTraining(Small, AugmentationOptions.None);

        Assert.False(training.IsRandom);
        Assert.Null(training.Augmentation);
        Assert.Equal(Run(ImageTransform.ForEvaluation(Small), image, null), Run(training, image, null));
    }

    [Fact]
    public void Apply_FlipOnly_MirrorsTheImage()
    {
        using var image = TestImages.Pattern(32, 32, 3);
        var flipOnly = AugmentationOptions.None with { HorizontalFlipProbability = 1 };
        var p = Small with { ResizeMode = ResizeMode.Stretch };

        var plain = Run(ImageTransform.ForEvaluation(p), image, null);
        var flipped = Run(ImageTransform.ForTraining(p, flipOnly), image, new Random(0));

        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < 32; y += 7)
            {
                for (var x = 0; x < 32; x += 5)
                {
                    Assert.Equal(plain[(c * 1024) + (y * 32) + x], flipped[(c * 1024) + (y * 32) + (31 - x)], 3);
                }
            }
        }
    }

    [Fact]
    public void Apply_BrightnessJitter_ChangesValuesWithinRange()
    {
        using var image = TestImages.Solid(32, 32, new SKColor(100, 100, 100));
        var p = ImagePreprocessing.Tf.WithInputSize(32);
        var brightness = AugmentationOptions.None with { Brightness = 0.5 };

        var values = Run(ImageTransform.ForTraining(p, brightness), image, new Random(1));

        var pixel = (values[0] + 1) * 127.5f;
        Assert.InRange(pixel, 50f, 150f);
        Assert.NotEqual(100f, pixel, 1);
        Assert.All(values, v => Assert.Equal(values[0], v, 4));
    }

    [Fact]
    public void Apply_RandomTransformWithoutRandom_Throws()
    {
        using var image = TestImages.Solid(8, 8, SKColors.Red);

        Assert.Throws<ArgumentNullException>(() => Run(ImageTransform.ForTraining(Small), image, null));
    }

    [Fact]
    public void WithCustom_RunsOnRenderedImageAndChangesFingerprint()
    {
        using var image = TestImages.Solid(40, 40, SKColors.Red);
        var evaluation = ImageTransform.ForEvaluation(Small with { ResizeMode = ResizeMode.Stretch });
        var inverted = evaluation.WithCustom(
            "to-blue",
            (bitmap, _) =>
            {
                Assert.Equal(32, bitmap.Width);
                var blue = TestImages.Solid(16, 16, SKColors.Blue);
                return blue;
            },
            isRandom: false);

        var values = Run(inverted, image, null);

        Assert.False(inverted.IsRandom);
        Assert.NotEqual(evaluation.Fingerprint, inverted.Fingerprint);
        Assert.Equal((1f - 0.406f) / 0.225f, values[(2 * 1024) + 500], 3);
        Assert.True(evaluation.WithCustom("noise", (b, _) => b).IsRandom);
    }

    [Fact]
    public void WithCustom_InPlaceChange_DoesNotTouchCallersBitmap()
    {
        using var image = TestImages.Solid(32, 32, SKColors.Red);
        var transform = ImageTransform.ForEvaluation(Small with { ResizeMode = ResizeMode.Stretch })
            .WithCustom("erase", (bitmap, _) =>
            {
                bitmap.Erase(SKColors.Blue);
                return bitmap;
            }, isRandom: false);

        var values = Run(transform, image, null);

        Assert.Equal(SKColors.Red, image.GetPixel(5, 5));
        Assert.Equal((1f - 0.406f) / 0.225f, values[(2 * 1024) + 5], 3);
    }

    [Fact]
    public void Fingerprint_DiffersBetweenPresetsAndAugmentations()
    {
        var prints = new[]
        {
            ImageTransform.ForEvaluation(ImagePreprocessing.Torch).Fingerprint,
            ImageTransform.ForEvaluation(ImagePreprocessing.Caffe).Fingerprint,
            ImageTransform.ForEvaluation(ImagePreprocessing.Torch.WithInputSize(160)).Fingerprint,
            ImageTransform.ForTraining(ImagePreprocessing.Torch).Fingerprint,
            ImageTransform.ForTraining(ImagePreprocessing.Torch, AugmentationOptions.Default with { MaxRotationDegrees = 5 }).Fingerprint,
        };

        Assert.Equal(prints.Length, prints.Distinct().Count());
        Assert.Equal(prints[0], ImageTransform.ForEvaluation(ImagePreprocessing.Torch).Fingerprint);
    }

    [Theory]
    [InlineData("scale")]
    [InlineData("ratio")]
    [InlineData("flip")]
    [InlineData("rotation")]
    [InlineData("brightness")]
    public void AugmentationOptions_Validate_RejectsOutOfRange(string which)
    {
        var bad = which switch
        {
            "scale" => AugmentationOptions.Default with { MinCropScale = 0 },
            "ratio" => AugmentationOptions.Default with { MinCropRatio = 2, MaxCropRatio = 1 },
            "flip" => AugmentationOptions.Default with { HorizontalFlipProbability = 1.5 },
            "rotation" => AugmentationOptions.Default with { MaxRotationDegrees = -1 },
            _ => AugmentationOptions.Default with { Brightness = 1 },
        };

        Assert.Throws<ArgumentOutOfRangeException>(() => ImageTransform.ForTraining(Small, bad));
    }
}
