using static TorchSharp.torch;

namespace TransferLearning.Weights;

/// <summary>
/// Checks the structure of a TorchSharp <c>Module.save</c> file (<c>.dat</c>) in managed code before TorchSharp reads it:
/// an entry count, then per entry a name, an element type, a shape and the raw data, counts and sizes in LEB128.
/// TorchSharp hands a foreign or damaged file's element types and shapes to libtorch unchecked, which fails with a
/// native backtrace or tries to allocate terabytes; this walk refuses such a file with one line naming the problem.
/// </summary>
internal static class TorchSharpDatFormat
{
    /// <summary>More entries than any catalogue backbone has, by far.</summary>
    private const long MaxEntries = 100_000;

    private const int MaxDimensions = 8;

    private const int MaxNameBytes = 4096;

    /// <summary>Walks the whole file; throws <see cref="InvalidDataException"/> at the first inconsistency.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The entries' names, element types and shapes, in file order.</returns>
    public static IReadOnlyList<(string Name, ScalarType Type, long[] Shape)> Validate(string path)
    {
        string name = Path.GetFileName(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long length = stream.Length;
        using var reader = new BinaryReader(stream);
        var entries = new List<(string, ScalarType, long[])>();
        if (length == 0)
        {
            throw new InvalidDataException($"'{name}' is empty (0 bytes), not a TorchSharp weights file.");
        }

        try
        {
            long count = Decode(reader);
            if (count <= 0 || count > MaxEntries)
            {
                throw Bad(name, $"it starts with an entry count of {count}, not a number of tensors (1 to {MaxEntries:N0})");
            }

            for (long i = 0; i < count; i++)
            {
                int nameLength = Read7BitLength(reader);
                if (nameLength <= 0 || nameLength > MaxNameBytes)
                {
                    throw Bad(name, $"entry {i + 1} has a name of {nameLength} bytes");
                }

                byte[] nameBytes = reader.ReadBytes(nameLength);
                if (nameBytes.Length != nameLength)
                {
                    throw Truncated(name, length);
                }

                string key = new System.Text.UTF8Encoding(false, true).GetString(nameBytes);
                long type = Decode(reader);
                if (type < 0 || type > sbyte.MaxValue || !Enum.IsDefined(typeof(ScalarType), (sbyte)type))
                {
                    throw Bad(name, $"entry '{Shorten(key)}' has an unknown element type {type}");
                }

                var scalar = (ScalarType)(sbyte)type;
                int elementSize = ElementSize(scalar) ?? throw Bad(name, $"entry '{Shorten(key)}' has an unsupported element type {scalar}");
                long dims = Decode(reader);
                if (dims < 0 || dims > MaxDimensions)
                {
                    throw Bad(name, $"entry '{Shorten(key)}' claims {dims} dimensions");
                }

                var shape = new long[dims];
                long bytes = elementSize;
                for (int d = 0; d < dims; d++)
                {
                    shape[d] = Decode(reader);
                    if (shape[d] < 0 || shape[d] > int.MaxValue)
                    {
                        throw Bad(name, $"entry '{Shorten(key)}' has a dimension of {shape[d]}");
                    }

                    bytes = shape[d] == 0 ? 0 : (bytes > (long.MaxValue / shape[d]) ? long.MaxValue : bytes * shape[d]);
                }

                long remaining = length - stream.Position;
                if (bytes > remaining)
                {
                    throw bytes == long.MaxValue || bytes > length
                        ? Bad(name, $"entry '{Shorten(key)}' claims a tensor of shape [{string.Join(", ", shape)}], larger than the whole file ({length:N0} bytes)")
                        : Truncated(name, length);
                }

                stream.Seek(bytes, SeekOrigin.Current);
                entries.Add((key, scalar, shape));
            }
        }
        catch (EndOfStreamException)
        {
            throw Truncated(name, length);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw Bad(name, "an entry name is not valid UTF-8 text");
        }

        return entries;
    }

    private static string Shorten(string key) => key.Length <= 80 ? key : key[..80] + "...";

    private static InvalidDataException Bad(string name, string what) =>
        new($"'{name}' is not a TorchSharp weights file (Module.save format): {what}. It may be damaged or of another format (.pth, .safetensors, .h5, .onnx are recognised by their extension).");

    private static InvalidDataException Truncated(string name, long length) =>
        new($"'{name}' is a truncated TorchSharp weights file: it ends ({length:N0} bytes) before its last tensor. Copy or save it again.");

    private static int? ElementSize(ScalarType type) => type switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => null,
    };

    /// <summary>TorchSharp's LEB128 reading of a non-negative long, refusing encodings longer than a long.</summary>
    private static long Decode(BinaryReader reader)
    {
        long result = 0;
        for (int i = 0; i < 10; i++)
        {
            long b = reader.ReadByte();
            result |= (b & 0x7f) << (i * 7);
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        return -1;
    }

    /// <summary>The length prefix of <see cref="BinaryReader.ReadString"/> (7-bit encoded int).</summary>
    private static int Read7BitLength(BinaryReader reader)
    {
        try
        {
            return reader.Read7BitEncodedInt();
        }
        catch (FormatException)
        {
            return -1;
        }
    }
}
