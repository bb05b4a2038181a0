using System.Buffers.Binary;
using System.IO.Compression;

namespace TransferLearning.Data;

/// <summary>
/// Streams the rows of a non-interlaced PNG as 8-bit RGBA, one at a time (inflate with <see cref="ZLibStream"/>, then
/// PNG's five row filters). Used only for PNGs too large to decode in full: SkiaSharp 3's PNG codec has neither
/// scaled nor scanline decoding, so without this a 20000x30000 PNG would need 2.4 GB. Everything else goes through
/// SkiaSharp.
/// </summary>
internal sealed class PngRowReader : IDisposable
{
    private readonly ZLibStream inflater;
    private readonly int channels;
    private readonly int depth;
    private readonly int colorType;
    private readonly int filterStride;
    private readonly byte[] palette = new byte[256 * 4];
    private readonly int[]? transparentKey;
    private byte[] previous;
    private byte[] current;

    public PngRowReader(byte[] png, string? path)
    {
        Path = path;
        if (png.Length < 33 || !png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }))
        {
            throw Fail(BadFileReason.NotAnImage, "not a PNG file.");
        }

        var idat = new List<(int Offset, int Length)>();
        var hasPalette = false;
        byte[]? trns = null;
        var offset = 8;
        while (offset + 12 <= png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = offset + 8;
            if (length < 0 || data + (long)length > png.Length)
            {
                break;
            }

            switch (type)
            {
                case "IHDR":
                    Width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(data));
                    Height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(data + 4));
                    depth = png[data + 8];
                    colorType = png[data + 9];
                    if (png[data + 12] != 0)
                    {
                        throw Fail(BadFileReason.TooLarge, $"interlaced PNG of {Width}x{Height} is too large to decode in full and cannot be decoded reduced; save it non-interlaced or smaller.");
                    }

                    break;
                case "PLTE":
                    hasPalette = true;
                    for (var i = 0; i < length / 3 && i < 256; i++)
                    {
                        palette[i * 4] = png[data + (i * 3)];
                        palette[(i * 4) + 1] = png[data + (i * 3) + 1];
                        palette[(i * 4) + 2] = png[data + (i * 3) + 2];
                        palette[(i * 4) + 3] = 255;
                    }

                    break;
                case "tRNS":
                    trns = png.AsSpan(data, length).ToArray();
                    break;
                case "IDAT":
                    idat.Add((data, length));
                    break;
            }

            offset = data + length + 4;
            if (type == "IEND")
            {
                break;
            }
        }

        channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        if (channels == 0 || Width <= 0 || Height <= 0 || depth is not (1 or 2 or 4 or 8 or 16) || (colorType == 3 && !hasPalette))
        {
            throw Fail(BadFileReason.Corrupt, "invalid PNG header.");
        }

        if (trns is not null)
        {
            if (colorType == 3)
            {
                for (var i = 0; i < trns.Length && i < 256; i++)
                {
                    palette[(i * 4) + 3] = trns[i];
                }
            }
            else if (colorType == 0 && trns.Length >= 2)
            {
                transparentKey = new int[] { BinaryPrimitives.ReadUInt16BigEndian(trns) };
            }
            else if (colorType == 2 && trns.Length >= 6)
            {
                transparentKey = new int[] { BinaryPrimitives.ReadUInt16BigEndian(trns), BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(2)), BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(4)) };
            }
        }

        if (idat.Count == 0)
        {
            throw Fail(BadFileReason.Truncated, "the PNG has no image data (truncated file).");
        }

        var rowBytes = (int)(((long)Width * channels * depth + 7) / 8);
        filterStride = Math.Max(1, channels * depth / 8);
        previous = new byte[rowBytes];
        current = new byte[rowBytes];
        inflater = new ZLibStream(new ChunkStream(png, idat), CompressionMode.Decompress);
    }

    public int Width { get; }

    public int Height { get; }

    private string? Path { get; }

    public void Dispose() => inflater.Dispose();

    /// <summary>Reads the next row into <paramref name="rgba"/> (Width x 4 bytes, unpremultiplied); with <paramref name="expand"/> false the row is only decoded (to keep the filters going) and the buffer is left as is.</summary>
    public void ReadRow(Span<byte> rgba, bool expand = true)
    {
        try
        {
            var filter = inflater.ReadByte();
            if (filter < 0)
            {
                throw Fail(BadFileReason.Truncated, "the PNG data ends early (truncated file).");
            }

            inflater.ReadExactly(current);
            Unfilter(filter);
        }
        catch (EndOfStreamException e)
        {
            throw Fail(BadFileReason.Truncated, "the PNG data ends early (truncated file).", e);
        }
        catch (InvalidDataException e)
        {
            throw Fail(BadFileReason.Corrupt, "the PNG data is damaged.", e);
        }

        if (expand)
        {
            Expand(rgba);
        }

        (previous, current) = (current, previous);
    }

    private void Unfilter(int filter)
    {
        var cur = current;
        var prev = previous;
        var bpp = filterStride;
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (var i = bpp; i < cur.Length; i++)
                {
                    cur[i] += cur[i - bpp];
                }

                break;
            case 2:
                for (var i = 0; i < cur.Length; i++)
                {
                    cur[i] += prev[i];
                }

                break;
            case 3:
                for (var i = 0; i < cur.Length; i++)
                {
                    var left = i >= bpp ? cur[i - bpp] : 0;
                    cur[i] += (byte)((left + prev[i]) >> 1);
                }

                break;
            case 4:
                for (var i = 0; i < cur.Length; i++)
                {
                    int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    cur[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }

                break;
            default:
                throw Fail(BadFileReason.Corrupt, $"invalid PNG row filter {filter}.");
        }
    }

    private int Sample(int index)
    {
        // index-th sample of the row at the image's bit depth.
        var row = current;
        return depth switch
        {
            8 => row[index],
            16 => (row[index * 2] << 8) | row[(index * 2) + 1],
            _ => (row[index * depth / 8] >> (8 - depth - (index * depth % 8))) & ((1 << depth) - 1),
        };
    }

    private byte To8(int v) => depth switch
    {
        8 => (byte)v,
        16 => (byte)(v >> 8),
        _ => (byte)(v * 255 / ((1 << depth) - 1)),
    };

    private void Expand(Span<byte> rgba)
    {
        for (var x = 0; x < Width; x++)
        {
            var o = x * 4;
            switch (colorType)
            {
                case 0:
                {
                    var v = Sample(x);
                    rgba[o] = rgba[o + 1] = rgba[o + 2] = To8(v);
                    rgba[o + 3] = transparentKey is not null && v == transparentKey[0] ? (byte)0 : (byte)255;
                    break;
                }

                case 2:
                {
                    int r = Sample(x * 3), g = Sample((x * 3) + 1), b = Sample((x * 3) + 2);
                    rgba[o] = To8(r);
                    rgba[o + 1] = To8(g);
                    rgba[o + 2] = To8(b);
                    rgba[o + 3] = transparentKey is not null && r == transparentKey[0] && g == transparentKey[1] && b == transparentKey[2] ? (byte)0 : (byte)255;
                    break;
                }

                case 3:
                {
                    var i = Sample(x) * 4;
                    rgba[o] = palette[i];
                    rgba[o + 1] = palette[i + 1];
                    rgba[o + 2] = palette[i + 2];
                    rgba[o + 3] = palette[i + 3];
                    break;
                }

                case 4:
                    rgba[o] = rgba[o + 1] = rgba[o + 2] = To8(Sample(x * 2));
                    rgba[o + 3] = To8(Sample((x * 2) + 1));
                    break;
                default:
                    rgba[o] = To8(Sample(x * 4));
                    rgba[o + 1] = To8(Sample((x * 4) + 1));
                    rgba[o + 2] = To8(Sample((x * 4) + 2));
                    rgba[o + 3] = To8(Sample((x * 4) + 3));
                    break;
            }
        }
    }

    private ImageDecodeException Fail(BadFileReason reason, string message, Exception? inner = null) => new(reason, Path, message, inner);

    /// <summary>The concatenated IDAT payloads as one read-only stream, without copying.</summary>
    private sealed class ChunkStream(byte[] data, List<(int Offset, int Length)> chunks) : Stream
    {
        private int chunk;
        private int within;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (chunk < chunks.Count && within >= chunks[chunk].Length)
            {
                chunk++;
                within = 0;
            }

            if (chunk >= chunks.Count || buffer.Length == 0)
            {
                return 0;
            }

            var n = Math.Min(buffer.Length, chunks[chunk].Length - within);
            data.AsSpan(chunks[chunk].Offset + within, n).CopyTo(buffer);
            within += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
