using SkiaSharp;

namespace TransferLearning.Data;

/// <summary>Pixel-level helpers on 8-bit RGBA bitmaps (pointer loops; no per-pixel SkiaSharp or TorchSharp calls).</summary>
internal static class PixelOps
{
    /// <summary>Composites non-opaque pixels of an unpremultiplied RGBA bitmap on <paramref name="background"/> and sets every alpha to 255.</summary>
    public static unsafe void CompositeInPlace(SKBitmap bitmap, SKColor background)
    {
        var basePtr = (byte*)bitmap.GetPixels();
        int bgR = background.Red, bgG = background.Green, bgB = background.Blue;
        for (var y = 0; y < bitmap.Height; y++)
        {
            var p = basePtr + (y * (long)bitmap.RowBytes);
            for (var x = 0; x < bitmap.Width; x++, p += 4)
            {
                int a = p[3];
                if (a == 255)
                {
                    continue;
                }

                var ia = 255 - a;
                p[0] = (byte)(((p[0] * a) + (bgR * ia) + 127) / 255);
                p[1] = (byte)(((p[1] * a) + (bgG * ia) + 127) / 255);
                p[2] = (byte)(((p[2] * a) + (bgB * ia) + 127) / 255);
                p[3] = 255;
            }
        }
    }

    /// <summary>Returns a copy turned upright according to the EXIF orientation (exact pixel moves, no resampling).</summary>
    public static unsafe SKBitmap Orient(SKBitmap src, SKEncodedOrigin origin)
    {
        int w = src.Width, h = src.Height;
        var swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int ow = swap ? h : w, oh = swap ? w : h;
        var dst = new SKBitmap(new SKImageInfo(ow, oh, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var s = (byte*)src.GetPixels();
        var d = (byte*)dst.GetPixels();
        long sStride = src.RowBytes, dStride = dst.RowBytes;
        for (var yo = 0; yo < oh; yo++)
        {
            var drow = (uint*)(d + (yo * dStride));
            for (var xo = 0; xo < ow; xo++)
            {
                int x, y;
                switch (origin)
                {
                    case SKEncodedOrigin.TopRight: x = w - 1 - xo; y = yo; break;
                    case SKEncodedOrigin.BottomRight: x = w - 1 - xo; y = h - 1 - yo; break;
                    case SKEncodedOrigin.BottomLeft: x = xo; y = h - 1 - yo; break;
                    case SKEncodedOrigin.LeftTop: x = yo; y = xo; break;
                    case SKEncodedOrigin.RightTop: x = yo; y = h - 1 - xo; break;
                    case SKEncodedOrigin.RightBottom: x = w - 1 - yo; y = h - 1 - xo; break;
                    case SKEncodedOrigin.LeftBottom: x = w - 1 - yo; y = xo; break;
                    default: x = xo; y = yo; break;
                }

                drow[xo] = ((uint*)(s + (y * sStride)))[x];
            }
        }

        return dst;
    }

    /// <summary>Resizes an opaque RGBA bitmap (linear filtering with mipmaps for strong reductions).</summary>
    public static SKBitmap Resize(SKBitmap src, int width, int height)
    {
        var dst = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(dst);
        using var pixmap = src.PeekPixels();
        using var image = SKImage.FromPixels(pixmap);
        var reduction = Math.Max((double)src.Width / width, (double)src.Height / height);
        canvas.DrawImage(image, new SKRect(0, 0, src.Width, src.Height), new SKRect(0, 0, width, height), Sampling(reduction), null);
        canvas.Flush();
        return dst;
    }

    /// <summary>Sampling for a given reduction factor: bilinear, with mipmaps when reducing more than 2x.</summary>
    public static SKSamplingOptions Sampling(double reduction) =>
        reduction > 2 ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear) : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None);
}
