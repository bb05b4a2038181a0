using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SkiaSharp;

namespace TransferLearning.Tests.Data;

/// <summary>Generates test images (SkiaSharp for JPEG/PNG/WebP; hand-written PNG, BMP and GIF bytes) in a temp folder.</summary>
internal sealed class TestImages : IDisposable
{
    public TestImages()
    {
        Root = Path.Combine(Path.GetTempPath(), "tl-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string relative)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    public string Write(string relative, byte[] bytes)
    {
        var path = PathOf(relative);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A bitmap whose left half is <paramref name="left"/> and right half <paramref name="right"/>.</summary>
    public static SKBitmap Halves(int width, int height, SKColor left, SKColor right)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(right);
        using var paint = new SKPaint { Color = left };
        canvas.DrawRect(0, 0, width / 2, height, paint);
        return bitmap;
    }

    public static SKBitmap Solid(int width, int height, SKColor color)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        bitmap.Erase(color);
        return bitmap;
    }

    /// <summary>A bitmap with random-looking coloured rectangles (deterministic from <paramref name="seed"/>).</summary>
    public static SKBitmap Pattern(int width, int height, int seed)
    {
        var random = new Random(seed);
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
        using var paint = new SKPaint();
        for (var i = 0; i < 6; i++)
        {
            paint.Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            canvas.DrawRect(random.Next(width), random.Next(height), 1 + random.Next(width / 2), 1 + random.Next(height / 2), paint);
        }

        return bitmap;
    }

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality = 95)
    {
        using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"SkiaSharp cannot encode {format}.");
        return data.ToArray();
    }

    public static byte[] Jpeg(SKBitmap bitmap, int quality = 95) => Encode(bitmap, SKEncodedImageFormat.Jpeg, quality);

    public static byte[] Png(SKBitmap bitmap) => Encode(bitmap, SKEncodedImageFormat.Png);

    /// <summary>Inserts an EXIF APP1 segment with the given orientation tag right after the JPEG's SOI marker.</summary>
    public static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        var tiff = new List<byte>();
        tiff.AddRange("MM"u8.ToArray());
        tiff.AddRange(new byte[] { 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08 }); // magic 42, IFD0 at offset 8
        tiff.AddRange(new byte[] { 0x00, 0x01 }); // one entry
        tiff.AddRange(new byte[] { 0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01 }); // Orientation, SHORT, count 1
        tiff.AddRange(new byte[] { (byte)(orientation >> 8), (byte)orientation, 0x00, 0x00 });
        tiff.AddRange(new byte[] { 0x00, 0x00, 0x00, 0x00 }); // no next IFD
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var length = payload.Length + 2;
        var segment = new byte[] { 0xFF, 0xE1, (byte)(length >> 8), (byte)length }.Concat(payload);
        return jpeg.Take(2).Concat(segment).Concat(jpeg.Skip(2)).ToArray();
    }

    /// <summary>Writes a PNG from raw scanlines (filter type 0), streaming rows through zlib.</summary>
    public static byte[] RawPng(int width, int height, byte colorType, byte bitDepth, Func<int, byte[]> row, byte[]? palette = null)
    {
        using var output = new MemoryStream();
        output.Write(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colorType;
        Chunk(output, "IHDR", ihdr);
        if (palette is not null)
        {
            Chunk(output, "PLTE", palette);
        }

        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                for (var y = 0; y < height; y++)
                {
                    z.WriteByte(0);
                    z.Write(row(y));
                }
            }

            Chunk(output, "IDAT", compressed.ToArray());
        }

        Chunk(output, "IEND", Array.Empty<byte>());
        return output.ToArray();
    }

    /// <summary>A PNG header claiming the given size, with a tiny (incomplete) IDAT: enough for the codec to read the size.</summary>
    public static byte[] PngHeaderOnly(int width, int height)
    {
        var full = RawPng(1, 1, 0, 8, _ => new byte[1]);
        BinaryPrimitives.WriteInt32BigEndian(full.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(full.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(full.AsSpan(29), Crc(full.AsSpan(12, 17)));
        return full;
    }

    /// <summary>A 24-bit bottom-up BMP.</summary>
    public static byte[] Bmp(SKBitmap bitmap)
    {
        int w = bitmap.Width, h = bitmap.Height;
        var stride = ((w * 3) + 3) & ~3;
        var bytes = new byte[54 + (stride * h)];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(34), stride * h);
        for (var y = 0; y < h; y++)
        {
            var offset = 54 + ((h - 1 - y) * stride);
            for (var x = 0; x < w; x++)
            {
                var c = bitmap.GetPixel(x, y);
                bytes[offset + (x * 3)] = c.Blue;
                bytes[offset + (x * 3) + 1] = c.Green;
                bytes[offset + (x * 3) + 2] = c.Red;
            }
        }

        return bytes;
    }

    /// <summary>
    /// A GIF with a 4-colour global palette and one frame per index array (width x height indices each). The LZW stream
    /// sends a clear code every two pixels so every code stays 3 bits wide.
    /// </summary>
    public static byte[] Gif(int width, int height, SKColor[] palette, params byte[][] frames)
    {
        var bytes = new List<byte>();
        bytes.AddRange("GIF89a"u8.ToArray());
        bytes.AddRange(BitConverter.GetBytes((ushort)width));
        bytes.AddRange(BitConverter.GetBytes((ushort)height));
        bytes.Add(0xF1); // global colour table, 4 entries
        bytes.Add(0);
        bytes.Add(0);
        for (var i = 0; i < 4; i++)
        {
            var c = i < palette.Length ? palette[i] : SKColors.Black;
            bytes.Add(c.Red);
            bytes.Add(c.Green);
            bytes.Add(c.Blue);
        }

        foreach (var frame in frames)
        {
            bytes.AddRange(new byte[] { 0x21, 0xF9, 0x04, 0x00, 0x0A, 0x00, 0x00, 0x00 }); // graphic control: 100 ms
            bytes.Add(0x2C);
            bytes.AddRange(new byte[] { 0, 0, 0, 0 });
            bytes.AddRange(BitConverter.GetBytes((ushort)width));
            bytes.AddRange(BitConverter.GetBytes((ushort)height));
            bytes.Add(0);
            bytes.Add(2); // LZW minimum code size
            var codes = new List<int>();
            for (var i = 0; i < frame.Length; i++)
            {
                if (i % 2 == 0)
                {
                    codes.Add(4);
                }

                codes.Add(frame[i]);
            }

            codes.Add(5);
            var packed = new List<byte>();
            int acc = 0, bits = 0;
            foreach (var code in codes)
            {
                acc |= code << bits;
                bits += 3;
                while (bits >= 8)
                {
                    packed.Add((byte)acc);
                    acc >>= 8;
                    bits -= 8;
                }
            }

            if (bits > 0)
            {
                packed.Add((byte)acc);
            }

            for (var i = 0; i < packed.Count; i += 255)
            {
                var n = Math.Min(255, packed.Count - i);
                bytes.Add((byte)n);
                bytes.AddRange(packed.Skip(i).Take(n));
            }

            bytes.Add(0);
        }

        bytes.Add(0x3B);
        return bytes.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        output.Write(header);
        output.Write(data);
        var crcInput = header.AsSpan(4).ToArray().Concat(data).ToArray();
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc(crcInput));
        output.Write(crc);
    }

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }

        return c;
    }).ToArray();

    private static uint Crc(ReadOnlySpan<byte> data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        }

        return c ^ 0xFFFFFFFFu;
    }
}
