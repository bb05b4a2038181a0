using SkiaSharp;
using TransferLearning.Data;
using static TorchSharp.torch;

namespace TransferLearning.Prediction;

/// <summary>
/// Minimal image decoding and preprocessing for the predictor.
/// TODO(lead): switch to the data helper's <c>ImageDecoder.Decode</c> and <c>ImagePreprocessor.ToTensor</c> once the
/// data branch is merged, so training and prediction share one implementation (EXIF orientation included).
/// </summary>
internal static class PredictionImages
{
    internal static SKBitmap Decode(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        return Decode(stream, path);
    }

    internal static SKBitmap Decode(Stream stream, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Decode(buffer.ToArray(), name);
    }

    internal static SKBitmap Decode(byte[] bytes, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        SKBitmap? bitmap = null;
        if (bytes.Length > 0)
        {
            using var data = SKData.CreateCopy(bytes);
            using var codec = SKCodec.Create(data);
            bitmap = codec is null ? null : SKBitmap.Decode(codec);
        }

        if (bitmap is null || bitmap.Width <= 0 || bitmap.Height <= 0)
        {
            bitmap?.Dispose();
            throw new InvalidDataException($"Cannot decode image{(name is null ? "" : $" '{name}'")}: not a supported image format, or the data is damaged.");
        }

        return bitmap;
    }

    /// <summary>Resizes, crops and normalises an image into a <c>[3, S, S]</c> float tensor.</summary>
    internal static Tensor ToTensor(SKBitmap bitmap, ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        int size = preprocessing.InputSize;
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var surface = SKSurface.Create(info) ?? throw new InvalidOperationException("Cannot create a drawing surface.");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.Black);
        SKRect source;
        if (preprocessing.ResizeMode == ResizeMode.Stretch)
        {
            source = new SKRect(0, 0, bitmap.Width, bitmap.Height);
        }
        else
        {
            // Shorter side to ResizeSize, then a centred InputSize crop: in source pixels, a centred square of side
            // shorter * InputSize / ResizeSize.
            float shorter = Math.Min(bitmap.Width, bitmap.Height);
            float side = shorter * size / preprocessing.ResizeSize;
            float left = (bitmap.Width - side) / 2f;
            float top = (bitmap.Height - side) / 2f;
            source = new SKRect(left, top, left + side, top + side);
        }

        using (var image = SKImage.FromBitmap(bitmap))
        using (var paint = new SKPaint())
        {
            canvas.DrawImage(image, source, new SKRect(0, 0, size, size), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), paint);
        }

        canvas.Flush();
        var pixels = new byte[size * size * 4];
        using (var pixmap = surface.PeekPixels())
        {
            System.Runtime.InteropServices.Marshal.Copy(pixmap.GetPixels(), pixels, 0, pixels.Length);
        }

        int plane = size * size;
        var data = new float[3 * plane];
        bool bgr = preprocessing.ChannelOrder == ChannelOrder.Bgr;
        float scale = preprocessing.Scale;
        for (int c = 0; c < 3; c++)
        {
            int sourceChannel = bgr ? 2 - c : c;
            float mean = preprocessing.Mean[c];
            float std = preprocessing.Std[c];
            for (int i = 0; i < plane; i++)
            {
                data[(c * plane) + i] = ((pixels[(i * 4) + sourceChannel] * scale) - mean) / std;
            }
        }

        return tensor(data, new long[] { 3, size, size });
    }
}
