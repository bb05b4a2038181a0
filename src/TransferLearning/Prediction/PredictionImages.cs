using SkiaSharp;
using TransferLearning.Data;
using static TorchSharp.torch;

namespace TransferLearning.Prediction;

/// <summary>
/// The predictor's image path: the same decoder (EXIF orientation, reduced decoding of huge images, bad-file reasons)
/// and the same preprocessing as the training data pipeline, so a model sees identical pixels in both.
/// </summary>
internal static class PredictionImages
{
    internal static SKBitmap Decode(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return ImageDecoder.Decode(path);
    }

    internal static SKBitmap Decode(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ImageDecoder.Decode(stream);
    }

    internal static SKBitmap Decode(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return ImageDecoder.Decode(bytes);
    }

    /// <summary>Resizes, crops and normalises an image into a <c>[3, S, S]</c> float tensor.</summary>
    internal static Tensor ToTensor(SKBitmap bitmap, ImagePreprocessing preprocessing) => ImagePreprocessor.ToTensor(bitmap, preprocessing);
}
