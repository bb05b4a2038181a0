using SkiaSharp;
using TransferLearning.Data;

namespace TransferLearning.Tests.Data;

public sealed class PngRowReaderTests
{
    private static byte[] SkiaRows(byte[] png, out int width, out int height)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(png));
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, bitmap.GetPixels()));
        width = info.Width;
        height = info.Height;
        return bitmap.Bytes;
    }

    private static byte[] ReaderRows(byte[] png)
    {
        using var reader = new PngRowReader(png, null);
        var all = new byte[reader.Width * reader.Height * 4];
        for (var y = 0; y < reader.Height; y++)
        {
            reader.ReadRow(all.AsSpan(y * reader.Width * 4, reader.Width * 4));
        }

        return all;
    }

    public static TheoryData<string> Kinds => new() { "skia-rgba", "skia-opaque", "gray2", "gray16", "palette4-trns", "rgb16", "gray-alpha8" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ReadRow_EveryColourTypeAndDepth_MatchesSkiaSharp(string kind)
    {
        var random = new Random(kind.Length);
        byte[] Bytes(int n) => Enumerable.Range(0, n).Select(_ => (byte)random.Next(256)).ToArray();
        byte[] png;
        switch (kind)
        {
            case "skia-rgba":
            {
                // Skia's encoder picks adaptive row filters, so this covers Sub/Up/Average/Paeth.
                using var b = TestImages.Pattern(37, 23, 5);
                b.SetPixel(3, 3, new SKColor(10, 20, 30, 77));
                png = TestImages.Png(b);
                break;
            }

            case "skia-opaque":
            {
                using var b = TestImages.Pattern(64, 31, 9);
                png = TestImages.Png(b);
                break;
            }

            case "gray2":
                png = TestImages.RawPng(13, 5, 0, 2, _ => Bytes(4));
                break;
            case "gray16":
                png = TestImages.RawPng(9, 4, 0, 16, _ => Bytes(18));
                break;
            case "palette4-trns":
            {
                var palette = Bytes(16 * 3);
                png = TestImages.RawPng(11, 6, 3, 4, _ => Bytes(6), palette);
                png = InsertTrns(png, Enumerable.Range(0, 16).Select(i => (byte)(i * 16)).ToArray());
                break;
            }

            case "rgb16":
                png = TestImages.RawPng(5, 3, 2, 16, _ => Bytes(30));
                break;
            default:
                png = TestImages.RawPng(7, 3, 4, 8, _ => Bytes(14));
                break;
        }

        var expected = SkiaRows(png, out _, out _);

        Assert.Equal(expected, ReaderRows(png));
    }

    [Fact]
    public void ReadRow_TruncatedData_ThrowsTruncated()
    {
        using var b = TestImages.Pattern(64, 64, 2);
        var png = TestImages.Png(b);
        var cut = png.Take(png.Length * 2 / 3).ToArray();

        var e = Assert.Throws<ImageDecodeException>(() => ReaderRows(cut));

        Assert.Equal(BadFileReason.Truncated, e.Reason);
    }

    private static byte[] InsertTrns(byte[] png, byte[] alpha)
    {
        // Insert a tRNS chunk right before the first IDAT (after IHDR and PLTE).
        var idat = IndexOf(png, "IDAT"u8.ToArray()) - 4;
        var crcInput = "tRNS"u8.ToArray().Concat(alpha).ToArray();
        var header = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, alpha.Length);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(crcInput));
        return png.Take(idat).Concat(header).Concat(crcInput).Concat(crc).Concat(png.Skip(idat)).ToArray();
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        return -1;
    }

    private static uint Crc32(byte[] data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            c ^= b;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
        }

        return c ^ 0xFFFFFFFFu;
    }
}
