using System.Runtime.InteropServices;
using SkiaSharp;

namespace TransferLearning.Data;

/// <summary>
/// Decodes image files with SkiaSharp (JPEG, PNG, WebP, BMP, GIF first frame, ICO) into 8-bit RGBA bitmaps with every
/// alpha 255: the EXIF orientation is applied, transparency is composited on
/// <see cref="ImageDecodeOptions.Background"/>, and grayscale, CMYK and 16-bit images end as 8-bit RGB. Large images are
/// decoded reduced (scaled JPEG/WebP decoding, or scanline decoding with box averaging) so that memory stays bounded.
/// Every failure is an <see cref="ImageDecodeException"/> with a <see cref="BadFileReason"/>.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Decodes an image file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Decoding options; <see langword="null"/> for the defaults.</param>
    /// <returns>An RGBA bitmap (<see cref="SKColorType.Rgba8888"/>, all alpha 255) that the caller disposes.</returns>
    /// <exception cref="ImageDecodeException">The file cannot be read or decoded; see <see cref="ImageDecodeException.Reason"/>.</exception>
    public static SKBitmap Decode(string path, ImageDecodeOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= ImageDecodeOptions.Default;
        options.Validate();
        return DecodeData(ReadFile(path, options), path, options);
    }

    /// <summary>Decodes an image file with its longer side limited to <paramref name="maxSide"/> pixels.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxSide">Largest side of the result, in pixels.</param>
    public static SKBitmap Decode(string path, int maxSide)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSide);
        return Decode(path, new ImageDecodeOptions { MaxSide = maxSide });
    }

    /// <summary>Decodes an image held in memory.</summary>
    /// <param name="data">The encoded image.</param>
    /// <param name="options">Decoding options; <see langword="null"/> for the defaults.</param>
    public static SKBitmap Decode(byte[] data, ImageDecodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length == 0)
        {
            throw new ImageDecodeException(BadFileReason.Empty, null, "The image data is empty.");
        }

        return DecodeData(data, null, options ?? ImageDecodeOptions.Default);
    }

    /// <summary>Decodes an image read from a stream (read to its end).</summary>
    /// <param name="stream">The encoded image.</param>
    /// <param name="options">Decoding options; <see langword="null"/> for the defaults.</param>
    public static SKBitmap Decode(Stream stream, ImageDecodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= ImageDecodeOptions.Default;
        options.Validate();
        using var memory = new MemoryStream();
        var buffer = new byte[81920];
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (memory.Length + n > options.MaxFileBytes)
            {
                throw new ImageDecodeException(
                    BadFileReason.TooLarge,
                    null,
                    $"The stream holds more than {options.MaxFileBytes:N0} bytes (ImageDecodeOptions.MaxFileBytes).");
            }

            memory.Write(buffer, 0, n);
        }

        return Decode(memory.ToArray(), options);
    }

    /// <summary>Reads only the header of an image file and returns its stored width and height (before EXIF rotation).</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ImageDecodeException">The file cannot be read or is not a decodable image.</exception>
    public static SKSizeI GetSize(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var data = ReadFile(path, ImageDecodeOptions.Default);
        using var codec = OpenCodec(data, path);
        return new SKSizeI(codec.Info.Width, codec.Info.Height);
    }

    private static byte[] ReadFile(string path, ImageDecodeOptions options)
    {
        try
        {
            var info = new FileInfo(path);
            if (Directory.Exists(path))
            {
                throw new ImageDecodeException(BadFileReason.Unreadable, path, "is a folder, not a file.");
            }

            if (!info.Exists)
            {
                throw new ImageDecodeException(
                    BadFileReason.Unreadable,
                    path,
                    info.LinkTarget is { } target ? $"is a broken link (to '{target}')." : "does not exist.");
            }

            // Never open anything but a regular file: opening a named pipe blocks until a writer appears, and a device
            // such as /dev/zero or /dev/urandom never ends.
            var kind = FileKinds.Of(path);
            if (kind == FileKind.Missing)
            {
                throw new ImageDecodeException(
                    BadFileReason.Unreadable,
                    path,
                    info.LinkTarget is { } target ? $"is a broken link (to '{target}')." : "does not exist.");
            }

            if (kind is not (FileKind.Regular or FileKind.Unknown))
            {
                throw new ImageDecodeException(BadFileReason.NotARegularFile, path, $"is {FileKinds.Describe(kind)}, not a regular file.");
            }

            var length = info.Length;
            if (length == 0)
            {
                throw new ImageDecodeException(
                    BadFileReason.Empty,
                    path,
                    kind == FileKind.Unknown ? "the file is empty (0 bytes) or not a regular file." : "the file is empty (0 bytes).");
            }

            if (length > options.MaxFileBytes)
            {
                throw new ImageDecodeException(
                    BadFileReason.TooLarge,
                    path,
                    $"the file has {length:N0} bytes, more than the limit of {options.MaxFileBytes:N0} (ImageDecodeOptions.MaxFileBytes).");
            }

            // Read at most the size stat reported (+1 to notice a file that grows): never more than the cap.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            var bytes = GC.AllocateUninitializedArray<byte>((int)length);
            var read = 0;
            while (read < bytes.Length)
            {
                var n = stream.Read(bytes, read, bytes.Length - read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            if (read < bytes.Length)
            {
                Array.Resize(ref bytes, read);
                if (read == 0)
                {
                    throw new ImageDecodeException(BadFileReason.Empty, path, "the file is empty (0 bytes).");
                }
            }

            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or System.Security.SecurityException)
        {
            throw new ImageDecodeException(BadFileReason.Unreadable, path, $"cannot be read: {e.Message}", e);
        }
    }

    private static SKCodec OpenCodec(byte[] bytes, string? path)
    {
        var data = SKData.CreateCopy(bytes);
        var stream = new SKMemoryStream(data);
        data.Dispose();
        var codec = SKCodec.Create(stream, out var result);
        if (codec is not null)
        {
            return codec;
        }

        stream.Dispose();
        var (reason, what) = Classify(bytes, result);
        throw new ImageDecodeException(reason, path, what);
    }

    private static (BadFileReason Reason, string Message) Classify(ReadOnlySpan<byte> b, SKCodecResult result)
    {
        string? unsupported =
            b.StartsWith("II*\0"u8) || b.StartsWith("MM\0*"u8) ? "TIFF"
            : b.Length >= 12 && b[4..8].SequenceEqual("ftyp"u8) ? "HEIF/AVIF/MP4"
            : b.StartsWith("8BPS"u8) ? "Photoshop (PSD)"
            : b.StartsWith("\0\0\0\u000cjP  "u8) || b.StartsWith(new byte[] { 0xFF, 0x4F, 0xFF, 0x51 }) ? "JPEG 2000"
            : b.StartsWith("%PDF"u8) ? "PDF"
            : b.StartsWith(new byte[] { 0xFF, 0x0A }) ? "JPEG XL"
            : b.StartsWith("qoif"u8) ? "QOI"
            : b.StartsWith("DDS "u8) ? "DDS"
            : null;
        if (unsupported is not null)
        {
            return (BadFileReason.Unsupported, $"{unsupported} images are not supported (SkiaSharp decodes JPEG, PNG, WebP, BMP, GIF, ICO); convert the file.");
        }

        var known = b.StartsWith(new byte[] { 0xFF, 0xD8 }) ? "JPEG"
            : b.StartsWith(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }) ? "PNG"
            : b.StartsWith("GIF8"u8) ? "GIF"
            : b.StartsWith("BM"u8) ? "BMP"
            : b.StartsWith("RIFF"u8) && b.Length >= 12 && b[8..12].SequenceEqual("WEBP"u8) ? "WebP"
            : null;
        if (known is null)
        {
            return (BadFileReason.NotAnImage, "the content is not a recognised image format.");
        }

        if (known == "PNG" && PngChunks.FindDamage(b) is { } damage)
        {
            return damage;
        }

        return result == SKCodecResult.IncompleteInput
            ? (BadFileReason.Truncated, $"the {known} data ends early (truncated file).")
            : (BadFileReason.Corrupt, $"the {known} header is damaged ({result}).");
    }

    private static BadFileReason ReasonOf(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => BadFileReason.Truncated,
        SKCodecResult.Unimplemented or SKCodecResult.InvalidConversion => BadFileReason.Unsupported,
        _ => BadFileReason.Corrupt,
    };

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the image data ends early (truncated file).",
        SKCodecResult.ErrorInInput => "the image data is damaged.",
        SKCodecResult.Unimplemented or SKCodecResult.InvalidConversion => $"this variant of the format is not supported ({result}).",
        _ => $"decoding failed ({result}).",
    };

    private static SKBitmap DecodeData(byte[] bytes, string? path, ImageDecodeOptions options)
    {
        options.Validate();
        using var codec = OpenCodec(bytes, path);
        var width = codec.Info.Width;
        var height = codec.Info.Height;
        if (width <= 0 || height <= 0)
        {
            throw new ImageDecodeException(BadFileReason.Corrupt, path, $"invalid image size {width}x{height}.");
        }

        var pixels = (long)width * height;
        if (pixels > options.MaxPixels)
        {
            throw new ImageDecodeException(
                BadFileReason.TooLarge,
                path,
                $"{width}x{height} = {pixels:N0} pixels exceeds the limit of {options.MaxPixels:N0} (ImageDecodeOptions.MaxPixels).");
        }

        CheckFormatBudget(codec, bytes, width, height, path, options);

        // How much the image may be reduced while decoding.
        var scale = 1.0;
        if (options.TargetShorterSide is { } target)
        {
            scale = Math.Min(scale, (double)target / Math.Min(width, height));
        }

        if (options.MaxSide is { } maxSide)
        {
            scale = Math.Min(scale, (double)maxSide / Math.Max(width, height));
        }

        scale = Math.Min(scale, Math.Sqrt((double)options.MaxDecodedPixels / pixels));

        // Native scaled decoding (JPEG: n/8, WebP: any) where the codec supports it.
        var baseWidth = width;
        var baseHeight = height;
        if (scale < 1)
        {
            var scaled = codec.GetScaledDimensions((float)scale);
            if (scaled.Width > 0 && scaled.Height > 0 && scaled.Width < width)
            {
                baseWidth = scaled.Width;
                baseHeight = scaled.Height;
            }
        }

        // Remaining integer reduction, done by box-averaging factor x factor blocks while reading scanlines.
        var desiredWidth = Math.Max(1, (int)Math.Ceiling(width * scale));
        var factor = Math.Max(1, baseWidth / desiredWidth);
        var basePixels = (long)baseWidth * baseHeight;
        while ((basePixels / ((long)factor * factor)) > options.MaxDecodedPixels)
        {
            factor++;
        }

        factor = Math.Min(factor, Math.Min(baseWidth, baseHeight));
        SKBitmap bitmap;
        if (factor == 1)
        {
            bitmap = DecodeFull(codec, bytes, baseWidth, baseHeight, path, options.Background);
        }
        else
        {
            bitmap = DecodeReduced(codec, bytes, baseWidth, baseHeight, factor, path, options);
        }

        try
        {
            if (options.ApplyExifOrientation && codec.EncodedOrigin != SKEncodedOrigin.TopLeft)
            {
                var oriented = PixelOps.Orient(bitmap, codec.EncodedOrigin);
                bitmap.Dispose();
                bitmap = oriented;
            }

            if (options.MaxSide is { } side && Math.Max(bitmap.Width, bitmap.Height) > side)
            {
                var f = (double)side / Math.Max(bitmap.Width, bitmap.Height);
                var resized = PixelOps.Resize(bitmap, Math.Max(1, (int)Math.Round(bitmap.Width * f)), Math.Max(1, (int)Math.Round(bitmap.Height * f)));
                bitmap.Dispose();
                bitmap = resized;
            }

            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses, before anything is allocated, images whose codec would hold more than the pixel budget however small the
    /// requested size: GIF (SkiaSharp decodes the whole frame) and progressive JPEG (libjpeg keeps every DCT coefficient
    /// of the image, about 2 bytes per sample). The budget is 4 x <see cref="ImageDecodeOptions.MaxDecodedPixels"/>
    /// pixels of RGBA, the same that PNG and BMP may use when they cannot be decoded reduced.
    /// </summary>
    private static void CheckFormatBudget(SKCodec codec, byte[] bytes, int width, int height, string? path, ImageDecodeOptions options)
    {
        var pixels = (long)width * height;
        var budgetBytes = 4 * options.MaxDecodedPixels * 4;
        string? what = null;
        long needed = 0;
        if (codec.EncodedFormat == SKEncodedImageFormat.Gif)
        {
            needed = pixels * 4;
            what = "GIF images are decoded at full size";
        }
        else if (codec.EncodedFormat == SKEncodedImageFormat.Jpeg && IsProgressiveJpeg(bytes))
        {
            needed = pixels * 3 * 2;
            what = "progressive JPEG images keep every coefficient while decoding";
        }

        if (what is not null && needed > budgetBytes)
        {
            throw new ImageDecodeException(
                BadFileReason.TooLarge,
                path,
                $"{width}x{height}: {what} (about {needed / (1024.0 * 1024):N0} MiB), more than the decoding budget of {budgetBytes / (1024.0 * 1024):N0} MiB (4 x ImageDecodeOptions.MaxDecodedPixels); save it smaller or as PNG/baseline JPEG.");
        }
    }

    /// <summary>Whether the first start-of-frame marker of a JPEG is a progressive one (SOF2, SOF6, SOF10, SOF14).</summary>
    private static bool IsProgressiveJpeg(byte[] b)
    {
        var i = 2;
        while (i + 4 <= b.Length)
        {
            if (b[i] != 0xFF)
            {
                return false;
            }

            var marker = b[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }

            if (marker is 0xC2 or 0xC6 or 0xCA or 0xCE)
            {
                return true;
            }

            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return false;
            }

            if (marker == 0xDA)
            {
                return false;
            }

            i += 2 + ((b[i + 2] << 8) | b[i + 3]);
        }

        return false;
    }

    private static SKBitmap DecodeFull(SKCodec codec, byte[] bytes, int width, int height, string? path, SKColor background)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        if (bitmap.GetPixels() == IntPtr.Zero)
        {
            bitmap.Dispose();
            throw new ImageDecodeException(BadFileReason.TooLarge, path, $"cannot allocate {width}x{height} pixels.");
        }

        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            if (codec.EncodedFormat == SKEncodedImageFormat.Png && PngChunks.FindDamage(bytes) is { } damage)
            {
                throw new ImageDecodeException(damage.Reason, path, damage.Message);
            }

            throw new ImageDecodeException(ReasonOf(result), path, Describe(result));
        }

        if (codec.Info.AlphaType != SKAlphaType.Opaque)
        {
            PixelOps.CompositeInPlace(bitmap, background);
        }

        return bitmap;
    }

    private static SKBitmap DecodeReduced(SKCodec codec, byte[] bytes, int width, int height, int factor, string? path, ImageDecodeOptions options)
    {
        var rowInfo = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (codec.StartScanlineDecode(rowInfo) == SKCodecResult.Success)
        {
            return DecodeSubsampled(
                codec.GetOutputScanline,
                (row, needed) =>
                {
                    var ok = needed ? codec.GetScanlines(row, 1, width * 4) == 1 : codec.SkipScanlines(1);
                    if (!ok)
                    {
                        throw new ImageDecodeException(BadFileReason.Truncated, path, "the image data ends early (truncated file).");
                    }
                },
                width,
                height,
                factor,
                options);
        }

        // No scanline decoding (SkiaSharp's PNG and GIF codecs): decode in full when that is affordable.
        if ((long)width * height <= 4 * options.MaxDecodedPixels)
        {
            using var full = DecodeFull(codec, bytes, width, height, path, options.Background);
            return PixelOps.Resize(full, Math.Max(1, width / factor), Math.Max(1, height / factor));
        }

        // PNG: SkiaSharp exposes neither sampled nor scanline PNG decoding, so stream the rows ourselves.
        if (codec.EncodedFormat == SKEncodedImageFormat.Png && width == codec.Info.Width && height == codec.Info.Height)
        {
            using var png = new PngRowReader(bytes, path);
            return DecodeSubsampled(
                y => y,
                (row, needed) =>
                {
                    unsafe
                    {
                        png.ReadRow(new Span<byte>((void*)row, width * 4), needed);
                    }
                },
                width,
                height,
                factor,
                options);
        }

        throw new ImageDecodeException(
            BadFileReason.TooLarge,
            path,
            $"{width}x{height} is too large to decode in full and this format cannot be decoded reduced (limit {options.MaxDecodedPixels:N0} decoded pixels, ImageDecodeOptions.MaxDecodedPixels).");
    }

    /// <summary>
    /// Reads every row (<paramref name="readRow"/>: into the buffer when needed, else skipped) and averages each
    /// factor x factor block over an evenly spaced grid of at most 4 x 4 of its pixels.
    /// </summary>
    private static unsafe SKBitmap DecodeSubsampled(Func<int, int> outputRow, Action<IntPtr, bool> readRow, int width, int height, int factor, ImageDecodeOptions options)
    {
        var outWidth = width / factor;
        var outHeight = height / factor;
        var step = Math.Max(1, (factor + 3) / 4);
        var perBlock = (factor + step - 1) / step;
        var count = (uint)(perBlock * perBlock);
        var bitmap = new SKBitmap(new SKImageInfo(outWidth, outHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        var row = GC.AllocateUninitializedArray<byte>(width * 4);
        var sums = new uint[outWidth * 3];
        int bgR = options.Background.Red, bgG = options.Background.Green, bgB = options.Background.Blue;
        var currentBlock = -1;
        var dst = (byte*)bitmap.GetPixels();
        var dstStride = bitmap.RowBytes;
        try
        {
            fixed (byte* rowPtr = row)
            {
                for (var y = 0; y < height; y++)
                {
                    var outY = outputRow(y);
                    var block = outY / factor;
                    var needed = block < outHeight && (outY - (block * factor)) % step == 0;
                    readRow((IntPtr)rowPtr, needed);
                    if (!needed)
                    {
                        continue;
                    }

                    if (block != currentBlock)
                    {
                        if (currentBlock >= 0)
                        {
                            FlushBlock(dst + (currentBlock * (long)dstStride), sums, outWidth, count);
                        }

                        currentBlock = block;
                    }

                    for (var bx = 0; bx < outWidth; bx++)
                    {
                        uint r = 0, g = 0, b = 0;
                        var p = rowPtr + (bx * factor * 4);
                        for (var k = 0; k < factor; k += step, p += step * 4)
                        {
                            int a = p[3];
                            if (a == 255)
                            {
                                r += p[0];
                                g += p[1];
                                b += p[2];
                            }
                            else
                            {
                                var ia = 255 - a;
                                r += (uint)(((p[0] * a) + (bgR * ia) + 127) / 255);
                                g += (uint)(((p[1] * a) + (bgG * ia) + 127) / 255);
                                b += (uint)(((p[2] * a) + (bgB * ia) + 127) / 255);
                            }
                        }

                        sums[bx * 3] += r;
                        sums[(bx * 3) + 1] += g;
                        sums[(bx * 3) + 2] += b;
                    }
                }

                if (currentBlock >= 0)
                {
                    FlushBlock(dst + (currentBlock * (long)dstStride), sums, outWidth, count);
                }
            }

            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    private static unsafe void FlushBlock(byte* o, uint[] sums, int outWidth, uint n)
    {
        var half = n / 2;
        for (var i = 0; i < outWidth; i++, o += 4)
        {
            o[0] = (byte)((sums[i * 3] + half) / n);
            o[1] = (byte)((sums[(i * 3) + 1] + half) / n);
            o[2] = (byte)((sums[(i * 3) + 2] + half) / n);
            o[3] = 255;
        }

        Array.Clear(sums);
    }
}
