using System.Globalization;
using SkiaSharp;
using static TorchSharp.torch;

namespace TransferLearning.Data;

/// <summary>
/// Turns a decoded image into the normalised <c>[3, S, S]</c> float values a backbone expects, in one place: geometry
/// (resize + centre crop or stretch from <see cref="ImagePreprocessing"/>, or random augmentation for training), then
/// optional custom transforms, then channel order, scale and mean/std. Immutable and thread-safe.
/// </summary>
public sealed class ImageTransform
{
    private readonly float[][] lookup;
    private readonly IReadOnlyList<CustomTransform> custom;

    private ImageTransform(ImagePreprocessing preprocessing, AugmentationOptions? augmentation, IReadOnlyList<CustomTransform> custom)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        preprocessing.Validate();
        augmentation?.Validate();
        Preprocessing = preprocessing;
        Augmentation = augmentation is { IsEnabled: true } ? augmentation : null;
        this.custom = custom;
        lookup = new float[3][];
        for (var c = 0; c < 3; c++)
        {
            lookup[c] = new float[256];
            for (var v = 0; v < 256; v++)
            {
                lookup[c][v] = ((v * preprocessing.Scale) - preprocessing.Mean[c]) / preprocessing.Std[c];
            }
        }
    }

    /// <summary>The preprocessing (input size, resize rule, channel order, scale, mean, std).</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>The random augmentation, or <see langword="null"/> for an evaluation transform.</summary>
    public AugmentationOptions? Augmentation { get; }

    /// <summary>Side of the square output, in pixels.</summary>
    public int InputSize => Preprocessing.InputSize;

    /// <summary>Number of floats one image fills: <c>3 * InputSize * InputSize</c>.</summary>
    public int ValuesPerImage => 3 * InputSize * InputSize;

    /// <summary>Whether the output depends on the random generator (random augmentation or a random custom transform).</summary>
    public bool IsRandom => Augmentation is not null || custom.Any(c => c.IsRandom);

    /// <summary>Names of the custom transforms, in the order they run.</summary>
    public IReadOnlyList<string> CustomTransformNames => custom.Select(c => c.Name).ToArray();

    /// <summary>
    /// Decoding options that suit this transform: images may be decoded reduced as long as their shorter side stays at
    /// least the resize size (or the input size for <see cref="ResizeMode.Stretch"/>).
    /// </summary>
    public ImageDecodeOptions DecodeOptions => new()
    {
        TargetShorterSide = Preprocessing.ResizeMode == ResizeMode.ShorterSideThenCenterCrop ? Preprocessing.ResizeSize : Preprocessing.InputSize,
    };

    /// <summary>Stable description of every setting that changes the output, for cache keys.</summary>
    public string Fingerprint => string.Create(
        CultureInfo.InvariantCulture,
        $"size={Preprocessing.InputSize};resize={Preprocessing.ResizeSize};mode={Preprocessing.ResizeMode};order={Preprocessing.ChannelOrder};scale={Preprocessing.Scale:R};mean={string.Join(",", Preprocessing.Mean.Select(m => m.ToString("R", CultureInfo.InvariantCulture)))};std={string.Join(",", Preprocessing.Std.Select(m => m.ToString("R", CultureInfo.InvariantCulture)))};aug={Augmentation?.Describe() ?? "none"};custom={string.Join(",", custom.Select(c => c.Name))}");

    /// <summary>The evaluation transform: deterministic resize + crop (or stretch) and normalisation.</summary>
    /// <param name="preprocessing">The backbone's preprocessing, usually <c>BackboneInfo.Preprocessing</c>.</param>
    public static ImageTransform ForEvaluation(ImagePreprocessing preprocessing) => new(preprocessing, null, Array.Empty<CustomTransform>());

    /// <summary>The training transform: random augmentation, then normalisation.</summary>
    /// <param name="preprocessing">The backbone's preprocessing, usually <c>BackboneInfo.Preprocessing</c>.</param>
    /// <param name="augmentation">The augmentation; <see langword="null"/> for <see cref="AugmentationOptions.Default"/>; <see cref="AugmentationOptions.None"/> switches it off.</param>
    public static ImageTransform ForTraining(ImagePreprocessing preprocessing, AugmentationOptions? augmentation = null) =>
        new(preprocessing, augmentation ?? AugmentationOptions.Default, Array.Empty<CustomTransform>());

    /// <summary>
    /// Returns a transform that also runs <paramref name="transform"/> on the <c>S x S</c> RGBA image after the geometry
    /// and before normalisation. The function must not dispose its input; it returns either its input (changed in place)
    /// or a new bitmap, which is then disposed after use (a bitmap of another size is stretched back to S x S).
    /// </summary>
    /// <param name="name">Name, part of <see cref="Fingerprint"/> (change it when the function changes).</param>
    /// <param name="transform">The function; its <see cref="Random"/> is the sample's generator.</param>
    /// <param name="isRandom">Whether the function uses its random generator (makes the loader non-deterministic).</param>
    public ImageTransform WithCustom(string name, Func<SKBitmap, Random, SKBitmap> transform, bool isRandom = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(transform);
        return new ImageTransform(Preprocessing, Augmentation, custom.Append(new CustomTransform(name, transform, isRandom)).ToArray());
    }

    /// <summary>Transforms an image into a new <c>[3, S, S]</c> float32 tensor.</summary>
    /// <param name="image">Decoded image (for example from <see cref="ImageDecoder"/>).</param>
    /// <param name="random">Random generator; required when <see cref="IsRandom"/>.</param>
    public Tensor ToTensor(SKBitmap image, Random? random = null)
    {
        var values = new float[ValuesPerImage];
        Apply(image, random, values);
        return tensor(values, new long[] { 3, InputSize, InputSize });
    }

    /// <summary>Writes the transformed image into <paramref name="destination"/> as planar CHW floats.</summary>
    /// <param name="image">Decoded RGBA image.</param>
    /// <param name="random">Random generator; required when <see cref="IsRandom"/>.</param>
    /// <param name="destination">At least <see cref="ValuesPerImage"/> floats.</param>
    public void Apply(SKBitmap image, Random? random, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (destination.Length < ValuesPerImage)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats, {ValuesPerImage} needed.", nameof(destination));
        }

        if (IsRandom && random is null)
        {
            throw new ArgumentNullException(nameof(random), "This transform is random: pass the sample's random generator.");
        }

        if (image.Width <= 0 || image.Height <= 0)
        {
            throw new ArgumentException("The image is empty.", nameof(image));
        }

        if (image.ColorType != SKColorType.Rgba8888)
        {
            using var rgba = image.Copy(SKColorType.Rgba8888) ?? throw new ArgumentException($"Cannot convert a {image.ColorType} bitmap to RGBA.", nameof(image));
            Apply(rgba, random, destination);
            return;
        }

        var size = InputSize;
        int w = image.Width, h = image.Height;
        SKRect source;
        var flip = false;
        var angle = 0f;
        float brightness = 1, contrast = 1, saturation = 1;
        if (Augmentation is { } aug)
        {
            source = aug.RandomResizedCrop ? RandomCrop(w, h, aug, random!) : EvaluationRect(w, h);
            if (aug.HorizontalFlipProbability > 0)
            {
                flip = random!.NextDouble() < aug.HorizontalFlipProbability;
            }

            if (aug.MaxRotationDegrees > 0)
            {
                angle = (float)(((random!.NextDouble() * 2) - 1) * aug.MaxRotationDegrees);
            }

            brightness = Jitter(aug.Brightness, random!);
            contrast = Jitter(aug.Contrast, random!);
            saturation = Jitter(aug.Saturation, random!);
        }
        else
        {
            source = EvaluationRect(w, h);
        }

        var rendered = source.Left == 0 && source.Top == 0 && source.Width == size && source.Height == size && w == size && h == size && !flip && angle == 0
            ? image
            : Render(image, source, size, flip, angle);
        if (custom.Count > 0 && ReferenceEquals(rendered, image))
        {
            // Custom transforms may change their input in place: never let them touch the caller's bitmap.
            rendered = image.Copy();
        }

        var owned = ReferenceEquals(rendered, image) ? null : rendered;
        try
        {
            foreach (var step in custom)
            {
                var result = step.Apply(rendered, random ?? new Random(0)) ?? throw new InvalidOperationException($"Custom transform '{step.Name}' returned null.");
                if (!ReferenceEquals(result, rendered))
                {
                    if (result.Width != size || result.Height != size || result.ColorType != SKColorType.Rgba8888)
                    {
                        var fixedSize = PixelOps.Resize(result, size, size);
                        result.Dispose();
                        result = fixedSize;
                    }

                    owned?.Dispose();
                    owned = result;
                    rendered = result;
                }
            }

            if (brightness == 1 && contrast == 1 && saturation == 1)
            {
                WriteNormalised(rendered, destination);
            }
            else
            {
                WriteJittered(rendered, destination, brightness, contrast, saturation);
            }
        }
        finally
        {
            owned?.Dispose();
        }
    }

    private static float Jitter(double amount, Random random) =>
        amount > 0 ? (float)(1 + (((random.NextDouble() * 2) - 1) * amount)) : 1f;

    private SKRect EvaluationRect(int w, int h)
    {
        if (Preprocessing.ResizeMode == ResizeMode.Stretch)
        {
            return new SKRect(0, 0, w, h);
        }

        var side = Math.Min(w, h) * (float)Preprocessing.InputSize / Preprocessing.ResizeSize;
        var left = (w - side) / 2;
        var top = (h - side) / 2;
        return new SKRect(left, top, left + side, top + side);
    }

    private static SKRect RandomCrop(int w, int h, AugmentationOptions aug, Random random)
    {
        // torchvision RandomResizedCrop.get_params.
        double area = (double)w * h;
        double logMin = Math.Log(aug.MinCropRatio), logMax = Math.Log(aug.MaxCropRatio);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var targetArea = area * (aug.MinCropScale + (random.NextDouble() * (aug.MaxCropScale - aug.MinCropScale)));
            var ratio = Math.Exp(logMin + (random.NextDouble() * (logMax - logMin)));
            var cw = (int)Math.Round(Math.Sqrt(targetArea * ratio));
            var ch = (int)Math.Round(Math.Sqrt(targetArea / ratio));
            if (cw > 0 && ch > 0 && cw <= w && ch <= h)
            {
                var x = random.Next(0, w - cw + 1);
                var y = random.Next(0, h - ch + 1);
                return new SKRect(x, y, x + cw, y + ch);
            }
        }

        var inRatio = (double)w / h;
        int fw = w, fh = h;
        if (inRatio < aug.MinCropRatio)
        {
            fh = (int)Math.Round(w / aug.MinCropRatio);
        }
        else if (inRatio > aug.MaxCropRatio)
        {
            fw = (int)Math.Round(h * aug.MaxCropRatio);
        }

        var left = (w - fw) / 2f;
        var top = (h - fh) / 2f;
        return new SKRect(left, top, left + fw, top + fh);
    }

    private static SKBitmap Render(SKBitmap image, SKRect source, int size, bool flip, float angle)
    {
        var dst = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(dst);
        canvas.Clear(SKColors.Black);
        var center = size / 2f;
        if (angle != 0)
        {
            canvas.RotateDegrees(angle, center, center);
        }

        if (flip)
        {
            canvas.Scale(-1, 1, center, 0);
        }

        using var pixmap = image.PeekPixels();
        using var skImage = SKImage.FromPixels(pixmap);
        var reduction = Math.Max(source.Width / size, source.Height / size);
        canvas.DrawImage(skImage, source, new SKRect(0, 0, size, size), PixelOps.Sampling(reduction), null);
        canvas.Flush();
        return dst;
    }

    private unsafe void WriteNormalised(SKBitmap image, Span<float> destination)
    {
        var size = InputSize;
        var plane = size * size;
        var bgr = Preprocessing.ChannelOrder == ChannelOrder.Bgr;
        var lut0 = lookup[0];
        var lut1 = lookup[1];
        var lut2 = lookup[2];
        var basePtr = (byte*)image.GetPixels();
        long stride = image.RowBytes;
        fixed (float* dst = destination)
        {
            float* c0 = dst, c1 = dst + plane, c2 = dst + (2 * plane);
            var i = 0;
            for (var y = 0; y < size; y++)
            {
                var p = basePtr + (y * stride);
                for (var x = 0; x < size; x++, p += 4, i++)
                {
                    // Channel k of the output takes R, G, B (or B, G, R) and uses Mean[k]/Std[k] (given in channel order).
                    c0[i] = lut0[bgr ? p[2] : p[0]];
                    c1[i] = lut1[p[1]];
                    c2[i] = lut2[bgr ? p[0] : p[2]];
                }
            }
        }
    }

    private unsafe void WriteJittered(SKBitmap image, Span<float> destination, float brightness, float contrast, float saturation)
    {
        var size = InputSize;
        var plane = size * size;
        var bgr = Preprocessing.ChannelOrder == ChannelOrder.Bgr;
        var basePtr = (byte*)image.GetPixels();
        long stride = image.RowBytes;
        double greySum = 0;
        for (var y = 0; y < size; y++)
        {
            var p = basePtr + (y * stride);
            for (var x = 0; x < size; x++, p += 4)
            {
                greySum += (0.299f * p[0]) + (0.587f * p[1]) + (0.114f * p[2]);
            }
        }

        var meanGrey = Math.Min(255f, (float)(greySum / plane) * brightness);
        var scale = Preprocessing.Scale;
        float m0 = Preprocessing.Mean[0], m1 = Preprocessing.Mean[1], m2 = Preprocessing.Mean[2];
        float s0 = Preprocessing.Std[0], s1 = Preprocessing.Std[1], s2 = Preprocessing.Std[2];
        fixed (float* dst = destination)
        {
            float* c0 = dst, c1 = dst + plane, c2 = dst + (2 * plane);
            var i = 0;
            for (var y = 0; y < size; y++)
            {
                var p = basePtr + (y * stride);
                for (var x = 0; x < size; x++, p += 4, i++)
                {
                    var r = Math.Clamp(p[0] * brightness, 0f, 255f);
                    var g = Math.Clamp(p[1] * brightness, 0f, 255f);
                    var b = Math.Clamp(p[2] * brightness, 0f, 255f);
                    r = Math.Clamp(((r - meanGrey) * contrast) + meanGrey, 0f, 255f);
                    g = Math.Clamp(((g - meanGrey) * contrast) + meanGrey, 0f, 255f);
                    b = Math.Clamp(((b - meanGrey) * contrast) + meanGrey, 0f, 255f);
                    var grey = (0.299f * r) + (0.587f * g) + (0.114f * b);
                    r = Math.Clamp(((r - grey) * saturation) + grey, 0f, 255f);
                    g = Math.Clamp(((g - grey) * saturation) + grey, 0f, 255f);
                    b = Math.Clamp(((b - grey) * saturation) + grey, 0f, 255f);
                    var first = bgr ? b : r;
                    var third = bgr ? r : b;
                    c0[i] = ((first * scale) - m0) / s0;
                    c1[i] = ((g * scale) - m1) / s1;
                    c2[i] = ((third * scale) - m2) / s2;
                }
            }
        }
    }

    private sealed record CustomTransform(string Name, Func<SKBitmap, Random, SKBitmap> Apply, bool IsRandom);
}
