using System.Buffers.Binary;
using System.Text;

namespace TransferLearning.Data;

/// <summary>
/// Walks the chunks of a PNG file that failed to decode to say what is wrong with it: a chunk whose checksum (CRC)
/// does not match is damage, a chunk that runs past the end of the file is truncation.
/// </summary>
internal static class PngChunks
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }

        return c;
    }).ToArray();

    /// <summary>The reason and message for the first damaged or cut chunk; <see langword="null"/> when every chunk up to IEND is intact.</summary>
    /// <param name="png">The whole file, signature included.</param>
    public static (BadFileReason Reason, string Message)? FindDamage(ReadOnlySpan<byte> png)
    {
        var offset = 8;
        while (true)
        {
            if (offset + 8 > png.Length)
            {
                return (BadFileReason.Truncated, "the PNG data ends early, before its IEND chunk (truncated file).");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(png[offset..]);
            var type = Encoding.ASCII.GetString(png.Slice(offset + 4, 4));
            if (length > int.MaxValue || offset + 12L + length > png.Length)
            {
                return (BadFileReason.Truncated, $"the PNG data ends early, inside its '{type}' chunk (truncated file).");
            }

            var stored = BinaryPrimitives.ReadUInt32BigEndian(png[(offset + 8 + (int)length)..]);
            if (Crc(png.Slice(offset + 4, 4 + (int)length)) != stored)
            {
                return (BadFileReason.Corrupt, $"the checksum (CRC) of its '{type}' chunk is wrong: the PNG file is damaged.");
            }

            if (type == "IEND")
            {
                return null;
            }

            offset += 12 + (int)length;
        }
    }

    private static uint Crc(ReadOnlySpan<byte> data)
    {
        var c = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        }

        return c ^ 0xFFFFFFFFu;
    }
}
