using SkiaSharp;
using TransferLearning.Data;

namespace TransferLearning.Cli.Report;

/// <summary>Small thumbnails of image files as <c>data:image/jpeg;base64,...</c> URIs, for self-contained pages.</summary>
internal static class Thumbnails
{
    /// <summary>Default longest side of a thumbnail, in pixels.</summary>
    public const int DefaultSide = 128;

    /// <summary>Decodes <paramref name="path"/>, scales it to at most <paramref name="side"/> pixels and encodes it as a JPEG data URI; null when the file cannot be read.</summary>
    public static string? DataUri(string path, int side = DefaultSide)
    {
        try
        {
            using var decoded = ImageDecoder.Decode(path, Math.Max(side * 4, 512));
            double scale = Math.Min(1.0, (double)side / Math.Max(decoded.Width, decoded.Height));
            int w = Math.Max(1, (int)Math.Round(decoded.Width * scale));
            int h = Math.Max(1, (int)Math.Round(decoded.Height * scale));
            using var resized = decoded.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKCubicResampler.Mitchell));
            if (resized is null)
            {
                return null;
            }

            // Flatten on white so transparent renders look as they do in a viewer.
            using var surface = SKSurface.Create(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
            surface.Canvas.Clear(SKColors.White);
            surface.Canvas.DrawBitmap(resized, 0, 0);
            using var image = surface.Snapshot();
            using var data = image.Encode(SKEncodedImageFormat.Jpeg, 85);
            return data is null ? null : "data:image/jpeg;base64," + Convert.ToBase64String(data.AsSpan());
        }
        catch (Exception ex) when (ex is ImageDecodeException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
