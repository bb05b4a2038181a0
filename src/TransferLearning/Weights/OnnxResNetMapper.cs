using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace TransferLearning.Weights;

/// <summary>
/// Maps the initializers of a ResNet exported to ONNX with BatchNorm as separate nodes (the CNTK export of ML.NET's
/// ImageNet ResNet18) to torchvision state-dict keys, by walking the graph rather than by initializer names or order:
/// the stem is the Conv/BN/Relu in front of the MaxPool; each <c>Add</c> is one basic block, whose main path traces back
/// BN &lt;- Conv &lt;- Relu &lt;- BN &lt;- Conv and whose other input is either the block input (identity) or a
/// shortcut BN &lt;- Conv (<c>downsample.0/1</c>). Blocks are numbered in graph order and matched to the backbone's
/// <c>layerS.B</c> blocks in order.
/// </summary>
internal static class OnnxResNetMapper
{
    private const float ExpectedEpsilon = 1e-5f;

    /// <summary>Reads an ONNX file and returns its weights under torchvision keys.</summary>
    /// <param name="path">The ONNX file.</param>
    /// <param name="blocks">The backbone's residual blocks in order, for example "layer1.0", ..., "layer4.2".</param>
    /// <param name="cancellationToken">Checked between nodes.</param>
    public static Dictionary<string, Tensor> Map(string path, IReadOnlyList<string> blocks, CancellationToken cancellationToken)
    {
        ModelProto model;
        string name = Path.GetFileName(path);
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException(DescribeParseFailure(name, new FileInfo(path).Length, e), e);
        }

        if (model.Graph is null || (model.Graph.Node.Count == 0 && model.Graph.Initializer.Count == 0))
        {
            throw new InvalidDataException($"'{name}' is not an ONNX model: it holds no graph (no nodes and no weights).");
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Map(model.Graph, blocks, name, cancellationToken);
    }

    /// <summary>One line saying whether an ONNX file that does not parse looks truncated or is not ONNX at all.</summary>
    internal static string DescribeParseFailure(string fileName, long length, InvalidProtocolBufferException e)
    {
        bool truncated = e.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase)
                         || e.Message.Contains("ended unexpectedly", StringComparison.OrdinalIgnoreCase);
        return truncated
            ? $"'{fileName}' is a truncated or incomplete ONNX file: it ends ({length:N0} bytes) in the middle of a record. Copy or download it again."
            : $"'{fileName}' is not an ONNX model (or is damaged): its {length:N0} bytes are not a valid ONNX protobuf message ({e.Message.TrimEnd('.')}).";
    }

    /// <summary>Maps a parsed graph.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="blocks">The backbone's residual blocks in order.</param>
    /// <param name="fileName">For error messages.</param>
    /// <param name="cancellationToken">Checked between blocks.</param>
    public static Dictionary<string, Tensor> Map(GraphProto graph, IReadOnlyList<string> blocks, string fileName, CancellationToken cancellationToken)
    {
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                producers[output] = node;
            }
        }

        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var used = new HashSet<NodeProto>();
        try
        {
            var maxPool = graph.Node.Where(n => n.OpType == "MaxPool").ToArray();
            if (maxPool.Length != 1)
            {
                throw Invalid(fileName, $"expected exactly one MaxPool node (the stem), found {maxPool.Length}.");
            }

            var stemRelu = Producer(producers, maxPool[0].Input[0], "Relu", fileName, "stem");
            var (stemBn, stemConv) = TraceBnConv(producers, stemRelu.Input[0])
                ?? throw Invalid(fileName, "the stem MaxPool is not fed by Conv -> BatchNormalization -> Relu.");
            AddConv(result, "conv1", stemConv, initializers, fileName);
            AddBn(result, "bn1", stemBn, initializers, fileName);
            used.UnionWith(new[] { stemConv, stemBn });

            var adds = graph.Node.Where(n => n.OpType == "Add").ToArray();
            if (adds.Length != blocks.Count)
            {
                throw Invalid(fileName, $"the graph has {adds.Length} residual blocks (Add nodes) but the backbone has {blocks.Count} ({string.Join(", ", blocks)}). " +
                    "The ML.NET ResNet18.onnx has stages [2,2,2,3]: load it into the 'resnet18_cntk' backbone.");
            }

            for (int b = 0; b < adds.Length; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var add = adds[b];
                if (add.Input.Count != 2)
                {
                    throw Invalid(fileName, $"Add node '{add.Name}' has {add.Input.Count} inputs, expected 2.");
                }

                string prefix = blocks[b];
                (NodeProto Bn2, NodeProto Conv2, NodeProto Bn1, NodeProto Conv1)? main = null;
                (NodeProto Bn, NodeProto Conv)? shortcut = null;
                foreach (var input in add.Input)
                {
                    var path = TraceMain(producers, input);
                    if (path is not null && main is null)
                    {
                        main = path;
                        continue;
                    }

                    var bnConv = TraceBnConv(producers, input);
                    if (bnConv is not null)
                    {
                        shortcut = bnConv;
                    }
                }

                if (main is not { } m)
                {
                    throw Invalid(fileName, $"residual block {prefix} (Add '{add.Name}') has no Conv -> BN -> Relu -> Conv -> BN main path.");
                }

                AddConv(result, prefix + ".conv1", m.Conv1, initializers, fileName);
                AddBn(result, prefix + ".bn1", m.Bn1, initializers, fileName);
                AddConv(result, prefix + ".conv2", m.Conv2, initializers, fileName);
                AddBn(result, prefix + ".bn2", m.Bn2, initializers, fileName);
                used.UnionWith(new[] { m.Conv1, m.Bn1, m.Conv2, m.Bn2 });
                if (shortcut is { } s)
                {
                    AddConv(result, prefix + ".downsample.0", s.Conv, initializers, fileName);
                    AddBn(result, prefix + ".downsample.1", s.Bn, initializers, fileName);
                    used.UnionWith(new[] { s.Conv, s.Bn });
                }
            }

            var leftover = graph.Node.Where(n => (n.OpType is "Conv" or "BatchNormalization" or "Gemm" or "MatMul") && !used.Contains(n)).ToArray();
            if (leftover.Length > 0)
            {
                throw Invalid(fileName, $"{leftover.Length} weighted node(s) are not part of the ResNet structure: {string.Join(", ", leftover.Take(5).Select(n => $"{n.OpType} '{n.Name}'"))}.");
            }

            return result;
        }
        catch
        {
            StateDictLoader.DisposeAll(result);
            throw;
        }
    }

    private static (NodeProto Bn2, NodeProto Conv2, NodeProto Bn1, NodeProto Conv1)? TraceMain(
        Dictionary<string, NodeProto> producers, string output)
    {
        if (TraceBnConv(producers, output) is not { } second)
        {
            return null;
        }

        if (!producers.TryGetValue(second.Conv.Input[0], out var relu) || relu.OpType != "Relu")
        {
            return null;
        }

        if (TraceBnConv(producers, relu.Input[0]) is not { } first)
        {
            return null;
        }

        return (second.Bn, second.Conv, first.Bn, first.Conv);
    }

    private static (NodeProto Bn, NodeProto Conv)? TraceBnConv(Dictionary<string, NodeProto> producers, string output)
    {
        if (!producers.TryGetValue(output, out var bn) || bn.OpType != "BatchNormalization")
        {
            return null;
        }

        if (!producers.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv")
        {
            return null;
        }

        return (bn, conv);
    }

    private static NodeProto Producer(Dictionary<string, NodeProto> producers, string output, string opType, string fileName, string where)
    {
        if (!producers.TryGetValue(output, out var node) || node.OpType != opType)
        {
            throw Invalid(fileName, $"{where}: expected a {opType} node producing '{output}'.");
        }

        return node;
    }

    private static void AddConv(Dictionary<string, Tensor> result, string key, NodeProto conv, Dictionary<string, TensorProto> initializers, string fileName)
    {
        if (conv.Input.Count > 2)
        {
            throw Invalid(fileName, $"Conv '{conv.Name}' ({key}) has a bias; torchvision ResNet convolutions have none.");
        }

        var group = conv.Attribute.FirstOrDefault(a => a.Name == "group");
        if (group is not null && group.I != 1)
        {
            throw Invalid(fileName, $"Conv '{conv.Name}' ({key}) is grouped (group={group.I}).");
        }

        var weight = Initializer(initializers, conv.Input[1], fileName, key);
        var kernel = weight.Dims.Skip(2).Select(d => (int)d).ToArray();
        var pads = conv.Attribute.FirstOrDefault(a => a.Name == "pads")?.Ints.ToArray() ?? new long[2 * kernel.Length];
        for (int d = 0; d < kernel.Length; d++)
        {
            // torchvision pads (k-1)/2 on both sides. CNTK writes the leading pad the same and may drop the trailing one
            // on stride-2 convolutions, where it is never read at even input sizes (every size that is a multiple of 32).
            long begin = pads[d];
            long end = pads[d + kernel.Length];
            long expected = (kernel[d] - 1) / 2;
            if (begin != expected || end > expected || end < expected - 1)
            {
                throw Invalid(fileName, $"Conv '{conv.Name}' ({key}) has padding [{string.Join(",", pads)}], which torchvision's symmetric padding {expected} cannot reproduce.");
            }
        }

        result[key + ".weight"] = ToTensor(weight, fileName);
    }

    private static void AddBn(Dictionary<string, Tensor> result, string key, NodeProto bn, Dictionary<string, TensorProto> initializers, string fileName)
    {
        if (bn.Input.Count != 5)
        {
            throw Invalid(fileName, $"BatchNormalization '{bn.Name}' ({key}) has {bn.Input.Count} inputs, expected 5.");
        }

        var epsilon = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? ExpectedEpsilon;
        if (Math.Abs(epsilon - ExpectedEpsilon) > 1e-9f)
        {
            throw Invalid(fileName, $"BatchNormalization '{bn.Name}' ({key}) has epsilon {epsilon.ToString(CultureInfo.InvariantCulture)}; the backbone uses {ExpectedEpsilon.ToString(CultureInfo.InvariantCulture)}.");
        }

        string[] names = { "weight", "bias", "running_mean", "running_var" };
        for (int i = 0; i < 4; i++)
        {
            result[key + "." + names[i]] = ToTensor(Initializer(initializers, bn.Input[i + 1], fileName, key), fileName);
        }
    }

    private static TensorProto Initializer(Dictionary<string, TensorProto> initializers, string name, string fileName, string key) =>
        initializers.TryGetValue(name, out var t) ? t : throw Invalid(fileName, $"{key}: '{name}' is not an initializer.");

    private static Tensor ToTensor(TensorProto proto, string fileName)
    {
        if (proto.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw Invalid(fileName, $"initializer '{proto.Name}' has data type {proto.DataType}; only float32 is supported.");
        }

        long count = proto.Dims.Aggregate(1L, (a, d) => a * d);
        float[] values;
        if (!proto.RawData.IsEmpty)
        {
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("Reading ONNX raw data needs a little-endian machine.");
            }

            values = MemoryMarshal.Cast<byte, float>(proto.RawData.Span).ToArray();
        }
        else
        {
            values = proto.FloatData.ToArray();
        }

        if (values.LongLength != count)
        {
            throw Invalid(fileName, $"initializer '{proto.Name}' has {values.LongLength} values for shape [{string.Join(",", proto.Dims)}].");
        }

        return tensor(values, proto.Dims.ToArray());
    }

    private static InvalidDataException Invalid(string fileName, string what) =>
        new($"ONNX file '{fileName}' is not a ResNet this importer can map: {what}");
}
