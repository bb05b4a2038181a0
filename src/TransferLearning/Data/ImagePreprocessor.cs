using SkiaSharp;
using static TorchSharp.torch;

namespace TransferLearning.Data;

/// <summary>
/// Evaluation preprocessing for single images and small lists (predictors): decode, resize/crop, channel order,
/// scale and mean/std exactly as the training loader's evaluation transform does.
/// </summary>
public static class ImagePreprocessor
{
    /// <summary>Preprocesses a decoded image into a <c>[3, S, S]</c> float32 tensor.</summary>
    /// <param name="image">Decoded image (any colour type; RGBA8888 is fastest).</param>
    /// <param name="preprocessing">The backbone's preprocessing.</param>
    public static Tensor ToTensor(SKBitmap image, ImagePreprocessing preprocessing) =>
        ImageTransform.ForEvaluation(preprocessing).ToTensor(image);

    /// <summary>Preprocesses decoded images into one <c>[N, 3, S, S]</c> float32 tensor (a single copy into native memory).</summary>
    /// <param name="images">Decoded images.</param>
    /// <param name="preprocessing">The backbone's preprocessing.</param>
    public static Tensor ToTensor(IReadOnlyList<SKBitmap> images, ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(images);
        var transform = ImageTransform.ForEvaluation(preprocessing);
        var per = transform.ValuesPerImage;
        var values = new float[(long)per * images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            transform.Apply(images[i], null, values.AsSpan(i * per, per));
        }

        return tensor(values, new long[] { images.Count, 3, transform.InputSize, transform.InputSize });
    }

    /// <summary>Decodes an image file (downscaled when large, EXIF applied) and preprocesses it into a <c>[3, S, S]</c> tensor.</summary>
    /// <param name="path">The image file.</param>
    /// <param name="preprocessing">The backbone's preprocessing.</param>
    /// <exception cref="ImageDecodeException">The file cannot be decoded.</exception>
    public static Tensor LoadTensor(string path, ImagePreprocessing preprocessing)
    {
        var transform = ImageTransform.ForEvaluation(preprocessing);
        using var bitmap = ImageDecoder.Decode(path, transform.DecodeOptions);
        return transform.ToTensor(bitmap);
    }
}
