using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace TransferLearning.Persistence;

/// <summary>
/// Writes and reads the weights entry of a model file in the safetensors layout (8-byte little-endian header length,
/// JSON header of name -> dtype, shape, data offsets, then the raw little-endian tensor bytes), so the entry can also be
/// read by Python's <c>safetensors</c>. Own code rather than a library, so every length is validated before use.
/// </summary>
internal static class SafeTensorsFormat
{
    private const int MaxHeaderBytes = 64 * 1024 * 1024;

    internal static void Write(Stream output, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        using var scope = NewDisposeScope();
        var header = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" },
        };
        var cpu = new List<Tensor>(tensors.Count);
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            var t = tensor.detach().cpu().contiguous();
            cpu.Add(t);
            long length = t.numel() * t.ElementSize;
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = DTypeName(t.dtype),
                ["shape"] = t.shape,
                ["data_offsets"] = new[] { offset, offset + length },
            };
            offset += length;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)padded);
        output.Write(lengthBytes);
        output.Write(json);
        for (int i = json.Length; i < padded; i++)
        {
            output.WriteByte((byte)' ');
        }

        foreach (var t in cpu)
        {
            output.Write(t.bytes);
        }
    }

    /// <summary>Parses the header and checks every entry against the expected tensors; returns name -> (start, length) in the data.</summary>
    internal static Dictionary<string, (long Start, long Length)> ReadHeader(
        ReadOnlySpan<byte> file, IReadOnlyDictionary<string, Tensor> expected, out long dataStart)
    {
        if (file.Length < 8)
        {
            throw new ModelFileException("The weights entry is too short to hold a header.");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderBytes || headerLength > (ulong)(file.Length - 8))
        {
            throw new ModelFileException($"The weights header length ({headerLength} bytes) is out of range.");
        }

        dataStart = 8 + (long)headerLength;
        long dataLength = file.Length - dataStart;
        using var doc = JsonDocument.Parse(file.Slice(8, (int)headerLength).ToArray());
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new ModelFileException("The weights header is not a JSON object.");
        }

        var result = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                continue;
            }

            if (!expected.TryGetValue(property.Name, out var target))
            {
                throw new ModelFileException($"The weights hold tensor '{property.Name}', which the model does not have.");
            }

            var entry = property.Value;
            string dtype = entry.GetProperty("dtype").GetString() ?? "";
            if (dtype != DTypeName(target.dtype))
            {
                throw new ModelFileException($"Tensor '{property.Name}' is {dtype} in the file but {DTypeName(target.dtype)} in the model.");
            }

            long[] shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (!shape.SequenceEqual(target.shape))
            {
                throw new ModelFileException(
                    $"Tensor '{property.Name}' has shape [{string.Join(", ", shape)}] in the file but [{string.Join(", ", target.shape)}] in the model.");
            }

            long[] offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            long length = target.numel() * target.ElementSize;
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] - offsets[0] != length || offsets[1] > dataLength)
            {
                throw new ModelFileException($"Tensor '{property.Name}' has invalid data offsets.");
            }

            result[property.Name] = (offsets[0], length);
        }

        var missing = expected.Keys.Where(k => !result.ContainsKey(k)).ToArray();
        if (missing.Length > 0)
        {
            throw new ModelFileException(
                $"The weights lack {missing.Length} tensor(s) the model needs, for example '{missing[0]}'.");
        }

        return result;
    }

    internal static string DTypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"Tensors of type {type} cannot be saved."),
    };
}
