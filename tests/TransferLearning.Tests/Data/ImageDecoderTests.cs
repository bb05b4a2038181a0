using SkiaSharp;
using TransferLearning.Data;

namespace TransferLearning.Tests.Data;

public sealed class ImageDecoderTests : IDisposable
{
    private static readonly SKColor Red = new(220, 20, 30);
    private static readonly SKColor Blue = new(20, 40, 210);
    private readonly TestImages images = new();

    public void Dispose() => images.Dispose();

    private static void AssertColor(SKBitmap bitmap, int x, int y, SKColor expected, int tolerance)
    {
        var c = bitmap.GetPixel(x, y);
        Assert.True(
            Math.Abs(c.Red - expected.Red) <= tolerance && Math.Abs(c.Green - expected.Green) <= tolerance && Math.Abs(c.Blue - expected.Blue) <= tolerance,
            $"pixel ({x},{y}) is {c}, expected {expected} ±{tolerance}");
        Assert.Equal(255, c.Alpha);
    }

    public static TheoryData<string> Formats => new() { "jpeg", "png", "webp", "bmp" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Decode_EachFormat_ReturnsRgbaWithRightSizeAndContent(string format)
    {
        using var source = TestImages.Halves(40, 24, Red, Blue);
        var bytes = format switch
        {
            "jpeg" => TestImages.Jpeg(source, 100),
            "png" => TestImages.Png(source),
            "webp" => TestImages.Encode(source, SKEncodedImageFormat.Webp, 100),
            _ => TestImages.Bmp(source),
        };
        var path = images.Write("img." + format, bytes);

        using var bitmap = ImageDecoder.Decode(path);

        Assert.Equal(40, bitmap.Width);
        Assert.Equal(24, bitmap.Height);
        Assert.Equal(SKColorType.Rgba8888, bitmap.ColorType);
        var tolerance = format is "png" or "bmp" ? 0 : 12;
        AssertColor(bitmap, 3, 12, Red, tolerance);
        AssertColor(bitmap, 36, 12, Blue, tolerance);
    }

    [Fact]
    public void Decode_AnimatedGif_ReturnsFirstFrame()
    {
        var palette = new[] { Red, Blue, SKColors.White, SKColors.Black };
        var first = Enumerable.Range(0, 6 * 4).Select(i => (byte)(i % 6 < 3 ? 0 : 1)).ToArray();
        var second = Enumerable.Repeat((byte)2, 6 * 4).ToArray();
        var path = images.Write("anim.gif", TestImages.Gif(6, 4, palette, first, second));

        using var bitmap = ImageDecoder.Decode(path);

        Assert.Equal(6, bitmap.Width);
        Assert.Equal(4, bitmap.Height);
        AssertColor(bitmap, 0, 0, Red, 0);
        AssertColor(bitmap, 5, 3, Blue, 0);
    }

    [Fact]
    public void Decode_ExifOrientation6_RotatesClockwise()
    {
        // 40x20: left half red, right half blue. Orientation 6 = rotate 90° clockwise for display: 20x40, red on top.
        using var source = TestImages.Halves(40, 20, Red, Blue);
        var path = images.Write("exif6.jpg", TestImages.WithExifOrientation(TestImages.Jpeg(source, 100), 6));

        using var bitmap = ImageDecoder.Decode(path);

        Assert.Equal(20, bitmap.Width);
        Assert.Equal(40, bitmap.Height);
        AssertColor(bitmap, 10, 4, Red, 16);
        AssertColor(bitmap, 10, 35, Blue, 16);
    }

    [Theory]
    [InlineData(3, 40, 20, false)] // 180°: blue on the left
    [InlineData(8, 20, 40, true)] // 90° counter-clockwise: red at the bottom
    public void Decode_OtherExifOrientations_AreApplied(ushort orientation, int width, int height, bool redBottom)
    {
        using var source = TestImages.Halves(40, 20, Red, Blue);
        var path = images.Write($"exif{orientation}.jpg", TestImages.WithExifOrientation(TestImages.Jpeg(source, 100), orientation));

        using var bitmap = ImageDecoder.Decode(path);

        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);
        if (redBottom)
        {
            AssertColor(bitmap, 10, 35, Red, 16);
            AssertColor(bitmap, 10, 4, Blue, 16);
        }
        else
        {
            AssertColor(bitmap, 4, 10, Blue, 16);
            AssertColor(bitmap, 35, 10, Red, 16);
        }
    }

    [Fact]
    public void Decode_ExifIgnoredWhenSwitchedOff_KeepsStoredOrientation()
    {
        using var source = TestImages.Halves(40, 20, Red, Blue);
        var path = images.Write("exif6-off.jpg", TestImages.WithExifOrientation(TestImages.Jpeg(source, 100), 6));

        using var bitmap = ImageDecoder.Decode(path, new ImageDecodeOptions { ApplyExifOrientation = false });

        Assert.Equal(40, bitmap.Width);
        Assert.Equal(20, bitmap.Height);
    }

    [Fact]
    public void Decode_GrayscalePng_BecomesGreyRgb()
    {
        var path = images.Write("gray.png", TestImages.RawPng(8, 6, colorType: 0, bitDepth: 8, _ => Enumerable.Repeat((byte)77, 8).ToArray()));

        using var bitmap = ImageDecoder.Decode(path);

        Assert.Equal(8, bitmap.Width);
        AssertColor(bitmap, 4, 3, new SKColor(77, 77, 77), 0);
    }

    [Fact]
    public void Decode_SixteenBitPng_BecomesEightBitRgb()
    {
        // 16-bit RGB: R = 0xC8C8 (200), G = 0x1E1E (30), B = 0x2828 (40).
        var row = Enumerable.Range(0, 5).SelectMany(_ => new byte[] { 0xC8, 0xC8, 0x1E, 0x1E, 0x28, 0x28 }).ToArray();
        var path = images.Write("deep.png", TestImages.RawPng(5, 4, colorType: 2, bitDepth: 16, _ => row));

        using var bitmap = ImageDecoder.Decode(path);

        Assert.Equal(5, bitmap.Width);
        Assert.Equal(4, bitmap.Height);
        AssertColor(bitmap, 2, 2, new SKColor(200, 30, 40), 1);
    }

    [Fact]
    public void Decode_RgbaPng_IsCompositedOnConfiguredBackground()
    {
        // Red at alpha 128 (colour type 6, unpremultiplied in the file).
        var row = Enumerable.Range(0, 4).SelectMany(_ => new byte[] { 255, 0, 0, 128 }).ToArray();
        var path = images.Write("alpha.png", TestImages.RawPng(4, 4, colorType: 6, bitDepth: 8, _ => row));

        using var onWhite = ImageDecoder.Decode(path);
        using var onBlack = ImageDecoder.Decode(path, new ImageDecodeOptions { Background = SKColors.Black });

        AssertColor(onWhite, 1, 1, new SKColor(255, 127, 127), 1);
        AssertColor(onBlack, 1, 1, new SKColor(128, 0, 0), 1);
    }

    [Fact]
    public void Decode_CmykJpeg_BecomesRgb()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "Data", "cmyk-16x8.jpg");

        using var bitmap = ImageDecoder.Decode(path);

        Assert.Equal(16, bitmap.Width);
        Assert.Equal(8, bitmap.Height);
        AssertColor(bitmap, 8, 4, new SKColor(200, 30, 40), 12);
    }

    [Fact]
    public void Decode_HugePng_IsDecodedReducedWithoutLargeAllocation()
    {
        // 20000x30000, 1-bit palette (left 5000 columns red, the rest blue): about 75 MB of raw rows, a few hundred KB compressed.
        const int Width = 20000, Height = 30000;
        var row = new byte[Width / 8];
        Array.Fill(row, (byte)0xFF);
        Array.Fill(row, (byte)0x00, 0, 5000 / 8);
        var palette = new byte[] { Red.Red, Red.Green, Red.Blue, Blue.Red, Blue.Green, Blue.Blue };
        var path = images.Write("huge.png", TestImages.RawPng(Width, Height, colorType: 3, bitDepth: 1, _ => row, palette));
        var peakBefore = PeakResidentBytes();
        var managedBefore = GC.GetAllocatedBytesForCurrentThread();

        using var bitmap = ImageDecoder.Decode(path, new ImageDecodeOptions { TargetShorterSide = 256 });

        var managed = GC.GetAllocatedBytesForCurrentThread() - managedBefore;
        Assert.True(bitmap.Width >= 256 && bitmap.Width < 512, $"width {bitmap.Width}");
        Assert.Equal(1.5, (double)bitmap.Height / bitmap.Width, 2);
        AssertColor(bitmap, 2, bitmap.Height / 2, Red, 0);
        AssertColor(bitmap, bitmap.Width - 3, bitmap.Height / 2, Blue, 0);
        Assert.True(managed < 64L << 20, $"managed allocations {managed:N0} bytes");
        if (peakBefore > 0)
        {
            // A full decode would need 20000 x 30000 x 4 = 2.4 GB.
            var growth = PeakResidentBytes() - peakBefore;
            Assert.True(growth < 512L << 20, $"peak resident memory grew by {growth:N0} bytes");
        }
    }

    [Fact]
    public void Decode_LargeJpeg_UsesScaledDecodingAboveTarget()
    {
        using var source = TestImages.Halves(1600, 1200, Red, Blue);
        var path = images.Write("large.jpg", TestImages.Jpeg(source, 90));

        using var bitmap = ImageDecoder.Decode(path, new ImageDecodeOptions { TargetShorterSide = 256 });

        Assert.True(bitmap.Height >= 256 && bitmap.Height < 600, $"height {bitmap.Height}");
        Assert.Equal(4.0 / 3.0, (double)bitmap.Width / bitmap.Height, 1);
        AssertColor(bitmap, 10, bitmap.Height / 2, Red, 16);
    }

    [Theory]
    [InlineData("bmp")]
    [InlineData("jpeg")]
    public void Decode_OverDecodedPixelBudget_ScanlineBoxAverageKeepsLayout(string format)
    {
        // Top-left quadrant red, everything else blue; the budget forces scanline decoding with block averaging
        // (BMP rows arrive bottom-up, JPEG is first scaled down natively).
        using var source = TestImages.Solid(400, 300, Blue);
        using (var canvas = new SKCanvas(source))
        using (var paint = new SKPaint { Color = Red })
        {
            canvas.DrawRect(0, 0, 200, 150, paint);
        }

        var bytes = format == "bmp" ? TestImages.Bmp(source) : TestImages.Jpeg(source, 100);
        var path = images.Write("budget." + format, bytes);

        using var bitmap = ImageDecoder.Decode(path, new ImageDecodeOptions { MaxDecodedPixels = 2000 });

        Assert.True((long)bitmap.Width * bitmap.Height <= 2000, $"{bitmap.Width}x{bitmap.Height}");
        Assert.InRange((double)bitmap.Width / bitmap.Height, 1.25, 1.45);
        var tolerance = format == "bmp" ? 0 : 20;
        AssertColor(bitmap, 2, 2, Red, tolerance);
        AssertColor(bitmap, bitmap.Width - 3, 2, Blue, tolerance);
        AssertColor(bitmap, 2, bitmap.Height - 3, Blue, tolerance);
    }

    [Fact]
    public void Decode_MaxSide_LimitsLongerSide()
    {
        using var source = TestImages.Halves(300, 100, Red, Blue);
        var path = images.Write("wide.png", TestImages.Png(source));

        using var bitmap = ImageDecoder.Decode(path, maxSide: 120);

        Assert.Equal(120, bitmap.Width);
        Assert.Equal(40, bitmap.Height);
    }

    [Fact]
    public void Decode_TooManyPixels_ThrowsTooLargeWithLimitInMessage()
    {
        var path = images.Write("bomb.png", TestImages.PngHeaderOnly(40000, 40000));

        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));

        Assert.Equal(BadFileReason.TooLarge, e.Reason);
        Assert.Equal(path, e.Path);
        Assert.Contains("MaxPixels", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_PixelLimitOption_IsHonoured()
    {
        using var source = TestImages.Solid(100, 100, Red);
        var path = images.Write("small.png", TestImages.Png(source));

        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path, new ImageDecodeOptions { MaxPixels = 5000 }));

        Assert.Equal(BadFileReason.TooLarge, e.Reason);
    }

    public static TheoryData<string, BadFileReason> BadFiles => new()
    {
        { "empty", BadFileReason.Empty },
        { "text", BadFileReason.NotAnImage },
        { "html", BadFileReason.NotAnImage },
        { "tiff", BadFileReason.Unsupported },
        { "heic", BadFileReason.Unsupported },
        { "truncated-jpeg", BadFileReason.Truncated },
        { "truncated-png", BadFileReason.Truncated },
        { "folder", BadFileReason.Unreadable },
        { "missing", BadFileReason.Unreadable },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Decode_BadFile_ThrowsWithReason(string kind, BadFileReason expected)
    {
        var path = MakeBadFile(images, kind);

        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(path));

        Assert.Equal(expected, e.Reason);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_BytesAndStream_MatchFileDecode()
    {
        using var source = TestImages.Pattern(30, 20, 3);
        var bytes = TestImages.Png(source);

        using var fromBytes = ImageDecoder.Decode(bytes);
        using var fromStream = ImageDecoder.Decode(new MemoryStream(bytes));

        Assert.Equal(fromBytes.Bytes, fromStream.Bytes);
        Assert.Equal(source.GetPixel(7, 9), fromBytes.GetPixel(7, 9));
    }

    [Fact]
    public void Decode_EmptyByteArray_ThrowsEmpty()
    {
        var e = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(Array.Empty<byte>()));
        Assert.Equal(BadFileReason.Empty, e.Reason);
    }

    /// <summary>Creates a bad file of the given kind and returns its path.</summary>
    internal static string MakeBadFile(TestImages images, string kind, string folder = "bad")
    {
        using var source = TestImages.Pattern(64, 48, 11);
        var jpeg = TestImages.Jpeg(source, 90);
        var png = TestImages.Png(source);
        return kind switch
        {
            "empty" => images.Write($"{folder}/empty.jpg", Array.Empty<byte>()),
            "text" => images.Write($"{folder}/notes.jpg", "this is not an image\n"u8.ToArray()),
            "html" => images.Write($"{folder}/page.png", "<!DOCTYPE html><html><body>404 Not Found</body></html>"u8.ToArray()),
            "tiff" => images.Write($"{folder}/scan.tif", "II*\0\u0008\0\0\0\0\0\0\0\0\0\0\0"u8.ToArray()),
            "heic" => images.Write($"{folder}/phone.heic", "\0\0\0\u0018ftypheic\0\0\0\0mif1heic"u8.ToArray()),
            "truncated-jpeg" => images.Write($"{folder}/cut.jpg", jpeg.Take(jpeg.Length / 2).ToArray()),
            "truncated-png" => images.Write($"{folder}/cut.png", png.Take(png.Length / 2).ToArray()),
            "too-large" => images.Write($"{folder}/bomb.png", TestImages.PngHeaderOnly(40000, 40000)),
            "folder" => MakeFolder(images.PathOf($"{folder}/folder.jpg")),
            "missing" => images.PathOf($"{folder}/missing.jpg"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        static string MakeFolder(string path)
        {
            Directory.CreateDirectory(path);
            return path;
        }
    }

    private static long PeakResidentBytes()
    {
        if (!File.Exists("/proc/self/status"))
        {
            return 0;
        }

        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
