using Google.Protobuf;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using TransferLearning.Backbones;
using TransferLearning.Heads;
using static TorchSharp.torch;

namespace TransferLearning.Export;

/// <summary>
/// Translates known TorchSharp module types into ONNX nodes (opset <see cref="Opset"/>), in inference semantics
/// (BatchNorm uses running statistics, Dropout is removed). Anything it does not know raises
/// <see cref="NotSupportedException"/> naming the module type and its path.
/// </summary>
internal sealed class OnnxGraphWriter
{
    internal const int Opset = 17;

    private const string MobileNetV2Block = "TorchSharp.Modules.MobileNetV2+InvertedResidual";
    private const string MobileNetV3Block = "TorchSharp.Modules.MobileNetV3+InvertedResidual";
    private const string SqueezeExcitation = "TorchSharp.torchvision+SqueezeExcitation";

    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private int counter;

    internal GraphProto Graph { get; } = new() { Name = "TransferModel" };

    /// <summary>Emits the nodes of <paramref name="module"/> applied to the value <paramref name="input"/>; returns the output value name.</summary>
    internal string Emit(nn.Module module, string input, string path)
    {
        switch (module)
        {
            case TransferModel model:
                return Emit(model.Head, Emit(model.Base, input, Join(path, "backbone")), Join(path, "head"));
            case ClassifierHead head:
                return Emit(head.Mlp, Emit(head.Pool, input, Join(path, "pool")), Join(path, "mlp"));
            case BackboneModule backbone:
                // Walk the units block by block (as forward does); names follow the state-dict keys.
                for (int b = 0; b < backbone.BlockCount; b++)
                {
                    var modules = backbone.GetBlockModules(b);
                    var unitNames = backbone.Info.Blocks[b].Units;
                    for (int u = 0; u < modules.Count; u++)
                    {
                        string unit = backbone.Info.Container is null ? unitNames[u] : $"{backbone.Info.Container}.{unitNames[u]}";
                        input = Emit(modules[u], input, Join(path, unit));
                    }
                }

                return input;
            case Sequential:
                foreach (var (name, child) in module.named_children())
                {
                    input = Emit(child, input, Join(path, name));
                }

                return input;
            case KerasResidualBlock block:
                return EmitKerasResidualBlock(block, input, path);
            case KerasPadding2d padding:
                return EmitKerasPadding(padding, input, path);
            case ResNetBasicBlock block:
                return EmitResNetBlock(block, input, path, bottleneck: false);
            case ResNetBottleneck block:
                return EmitResNetBlock(block, input, path, bottleneck: true);
            case Conv2d conv:
                return EmitConv(conv, input, path);
            case BatchNorm2d bn:
                return Node("BatchNormalization", path,
                    new[] { input, Initializer(Join(path, "weight"), bn.weight, bn.num_features, 1f), Initializer(Join(path, "bias"), bn.bias, bn.num_features, 0f),
                            Initializer(Join(path, "running_mean"), bn.running_mean!), Initializer(Join(path, "running_var"), bn.running_var!) },
                    FloatAttr("epsilon", (float)bn.eps));
            case BatchNorm1d bn:
                return EmitBatchNorm1d(bn, input, path);
            case Linear linear:
                return Node("Gemm", path,
                    linear.bias is null
                        ? new[] { input, Initializer(Join(path, "weight"), linear.weight!) }
                        : new[] { input, Initializer(Join(path, "weight"), linear.weight!), Initializer(Join(path, "bias"), linear.bias) },
                    IntAttr("transB", 1));
            case ReLU:
                return Node("Relu", path, input);
            case ReLU6:
                return Node("Clip", path, input, Constant(Join(path, "min"), 0f), Constant(Join(path, "max"), 6f));
            case Hardswish:
                return Node("HardSwish", path, input);
            case Hardsigmoid:
                return Node("HardSigmoid", path, new[] { input }, FloatAttr("alpha", 1f / 6f), FloatAttr("beta", 0.5f));
            case Sigmoid:
                return Node("Sigmoid", path, input);
            case Tanh:
                return Node("Tanh", path, input);
            case SiLU:
                return Node("Mul", path, input, Node("Sigmoid", Join(path, "sigmoid"), input));
            case LeakyReLU leaky:
                return Node("LeakyRelu", path, new[] { input }, FloatAttr("alpha", (float)leaky.negative_slope));
            case GELU gelu:
                return EmitGelu(gelu, input, path);
            case Dropout or Identity:
                return input;
            case MaxPool2d pool:
                return EmitMaxPool(pool, input, path);
            case AdaptiveAvgPool2d adaptive when adaptive.output_size.All(s => s == 1):
                return Node("GlobalAveragePool", path, input);
            case GlobalPooling pooling:
                return EmitGlobalPooling(pooling.Kind, input, path);
        }

        string typeName = module.GetType().FullName ?? module.GetType().Name;
        return typeName switch
        {
            MobileNetV2Block => EmitInvertedResidual(module, "conv", input, path),
            MobileNetV3Block => EmitInvertedResidual(module, "block", input, path),
            SqueezeExcitation => EmitSqueezeExcitation(module, input, path),
            _ => throw new NotSupportedException(
                $"ONNX export does not support module type '{typeName}' (at '{(path.Length == 0 ? "<root>" : path)}'). Supported: Conv2d, BatchNorm1d/2d, Linear, ReLU, ReLU6, Hardswish, Hardsigmoid, SiLU, GELU, Tanh, Sigmoid, LeakyReLU, Dropout, MaxPool2d, AdaptiveAvgPool2d(1), Sequential, ResNet blocks, MobileNetV2/V3 blocks, Keras padding and residual blocks, SqueezeExcitation, GlobalPooling."),
        };
    }

    internal string Node(string op, string path, params string[] inputs) => Node(op, path, inputs, Array.Empty<AttributeProto>());

    internal string Node(string op, string path, string[] inputs, params AttributeProto[] attributes)
    {
        string output = Unique($"{(path.Length == 0 ? op : path)}:{op}");
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    internal static AttributeProto IntAttr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    internal static AttributeProto FloatAttr(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    internal static AttributeProto IntsAttr(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private string Unique(string name)
    {
        string candidate = name;
        while (!names.Add(candidate))
        {
            candidate = $"{name}_{++counter}";
        }

        return candidate;
    }

    private string Initializer(string name, Tensor? value, long count = 0, float fill = 0f)
    {
        using var scope = NewDisposeScope();
        var t = value is null ? full(count, fill) : value.detach().cpu().to(ScalarType.Float32).contiguous();
        string unique = Unique(name);
        var proto = new TensorProto { Name = unique, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(t.bytes) };
        proto.Dims.AddRange(t.shape);
        Graph.Initializer.Add(proto);
        return unique;
    }

    private string Constant(string name, params float[] values)
    {
        string unique = Unique(name);
        var proto = new TensorProto { Name = unique, DataType = (int)TensorProto.Types.DataType.Float };
        proto.FloatData.AddRange(values);
        if (values.Length != 1)
        {
            proto.Dims.Add(values.Length);
        }

        Graph.Initializer.Add(proto);
        return unique;
    }

    private string EmitConv(Conv2d conv, string input, string path)
    {
        if (conv.padding_mode != PaddingModes.Zeros || conv.padding_type is not null and not Padding.Valid || conv.transposed)
        {
            throw new NotSupportedException($"ONNX export supports Conv2d only with explicit zero padding ('{path}').");
        }

        long[] padding = conv.padding_type is Padding.Valid ? new long[] { 0, 0 } : conv.padding ?? new long[] { 0, 0 };
        var inputs = conv.bias is null
            ? new[] { input, Initializer(Join(path, "weight"), conv.weight) }
            : new[] { input, Initializer(Join(path, "weight"), conv.weight), Initializer(Join(path, "bias"), conv.bias) };
        return Node("Conv", path, inputs,
            IntsAttr("kernel_shape", conv.kernel_size),
            IntsAttr("strides", conv.stride),
            IntsAttr("pads", new[] { padding[0], padding[1], padding[0], padding[1] }),
            IntsAttr("dilations", conv.dilation),
            IntAttr("group", conv.groups));
    }

    private string Int64Constant(string name, params long[] values)
    {
        string unique = Unique(name);
        var proto = new TensorProto { Name = unique, DataType = (int)TensorProto.Types.DataType.Int64 };
        proto.Int64Data.AddRange(values);
        proto.Dims.Add(values.Length);
        Graph.Initializer.Add(proto);
        return unique;
    }

    private string EmitKerasPadding(KerasPadding2d padding, string input, string path)
    {
        if (!padding.IsSame)
        {
            if (padding.Top + padding.Bottom + padding.Left + padding.Right == 0)
            {
                return input;
            }

            return Node("Pad", path, input, Int64Constant(Join(path, "pads"), 0, 0, padding.Top, padding.Left, 0, 0, padding.Bottom, padding.Right));
        }

        // TensorFlow "same": total = max((ceil(n / s) - 1) * s + k - n, 0) per spatial axis, the extra pixel after.
        string hw = Node("Slice", Join(path, "hw"), Node("Shape", Join(path, "shape"), input),
            Int64Constant(Join(path, "start"), 2), Int64Constant(Join(path, "end"), 4));
        string stride = Int64Constant(Join(path, "stride"), padding.Stride);
        string output = Node("Div", Join(path, "out"), Node("Add", Join(path, "n_plus"), hw, Int64Constant(Join(path, "s_minus_1"), padding.Stride - 1)), stride);
        string span = Node("Add", Join(path, "span"), Node("Mul", Join(path, "steps"), Node("Sub", Join(path, "out_minus_1"), output, Int64Constant(Join(path, "one"), 1)), stride),
            Int64Constant(Join(path, "kernel"), padding.Kernel));
        string total = Node("Max", Join(path, "total"), Node("Sub", Join(path, "excess"), span, hw), Int64Constant(Join(path, "zero"), 0));
        string before = Node("Div", Join(path, "before"), total, Int64Constant(Join(path, "two"), 2));
        string after = Node("Sub", Join(path, "after"), total, before);
        string zeros = Int64Constant(Join(path, "zeros"), 0, 0);
        string pads = Node("Concat", Join(path, "pads"), new[] { zeros, before, zeros, after }, IntAttr("axis", 0));
        return Node("Pad", path, input, pads);
    }

    private string EmitKerasResidualBlock(KerasResidualBlock block, string input, string path)
    {
        string x = input;
        foreach (var (name, module) in block.MainPath)
        {
            x = Emit(module, x, Join(path, name));
        }

        if (block.HasAdd)
        {
            string s = input;
            foreach (var (name, module) in block.ShortcutPath)
            {
                s = Emit(module, s, Join(path, name));
            }

            x = Node("Add", Join(path, "add"), x, s);
        }

        return block.Output is { } output ? Emit(output.Module, x, Join(path, output.Name)) : x;
    }

    private string EmitBatchNorm1d(BatchNorm1d bn, string input, string path)
    {
        // y = x * scale + shift, folded in double precision (BatchNormalization on [N, C] is not supported everywhere).
        using var scope = NewDisposeScope();
        var mean = bn.running_mean!.detach().cpu().to(ScalarType.Float64);
        var variance = bn.running_var!.detach().cpu().to(ScalarType.Float64);
        var weight = bn.weight is null ? ones_like(mean) : bn.weight.detach().cpu().to(ScalarType.Float64);
        var bias = bn.bias is null ? zeros_like(mean) : bn.bias.detach().cpu().to(ScalarType.Float64);
        var scale = weight / (variance + bn.eps).sqrt();
        var shift = bias - (mean * scale);
        string scaled = Node("Mul", Join(path, "scale"), input, Initializer(Join(path, "scale"), scale));
        return Node("Add", path, scaled, Initializer(Join(path, "shift"), shift));
    }

    private string EmitGelu(GELU gelu, string input, string path)
    {
        if (string.Equals(gelu.approximate.ToString(), "tanh", StringComparison.OrdinalIgnoreCase))
        {
            // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            string cube = Node("Mul", Join(path, "x3"), input, Node("Mul", Join(path, "x2"), input, input));
            string inner = Node("Add", Join(path, "inner"), input, Node("Mul", Join(path, "c"), cube, Constant(Join(path, "k"), 0.044715f)));
            string tanh = Node("Tanh", Join(path, "tanh"), Node("Mul", Join(path, "s"), inner, Constant(Join(path, "sqrt2pi"), (float)Math.Sqrt(2 / Math.PI))));
            string onePlus = Node("Add", Join(path, "one_plus"), tanh, Constant(Join(path, "one"), 1f));
            return Node("Mul", path, Node("Mul", Join(path, "half_x"), input, Constant(Join(path, "half"), 0.5f)), onePlus);
        }

        // 0.5 x (1 + erf(x / sqrt 2))
        string erf = Node("Erf", Join(path, "erf"), Node("Div", Join(path, "div"), input, Constant(Join(path, "sqrt2"), (float)Math.Sqrt(2))));
        string plus = Node("Add", Join(path, "one_plus"), erf, Constant(Join(path, "one"), 1f));
        return Node("Mul", path, Node("Mul", Join(path, "half_x"), input, Constant(Join(path, "half"), 0.5f)), plus);
    }

    private string EmitMaxPool(MaxPool2d pool, string input, string path)
    {
        long[] kernel = pool.kernel_size;
        long[] stride = pool.stride ?? kernel;
        long[] padding = pool.padding ?? new long[] { 0, 0 };
        long[] dilation = pool.dilation ?? new long[] { 1, 1 };
        return Node("MaxPool", path, new[] { input },
            IntsAttr("kernel_shape", kernel),
            IntsAttr("strides", stride),
            IntsAttr("pads", new[] { padding[0], padding[1], padding[0], padding[1] }),
            IntsAttr("dilations", dilation),
            IntAttr("ceil_mode", pool.ceil_mode ? 1 : 0));
    }

    private string EmitGlobalPooling(PoolingKind kind, string input, string path)
    {
        string Mean() => Node("ReduceMean", Join(path, "mean"), new[] { input }, IntsAttr("axes", new long[] { 2, 3 }), IntAttr("keepdims", 0));
        string Max() => Node("ReduceMax", Join(path, "max"), new[] { input }, IntsAttr("axes", new long[] { 2, 3 }), IntAttr("keepdims", 0));
        return kind switch
        {
            PoolingKind.Average => Mean(),
            PoolingKind.Max => Max(),
            PoolingKind.AverageMax => Node("Concat", path, new[] { Mean(), Max() }, IntAttr("axis", 1)),
            PoolingKind.Flatten => Node("Flatten", path, new[] { input }, IntAttr("axis", 1)),
            _ => throw new NotSupportedException($"ONNX export does not support pooling kind {kind}."),
        };
    }

    private string EmitResNetBlock(nn.Module block, string input, string path, bool bottleneck)
    {
        var children = block.named_children().ToDictionary(c => c.name, c => c.module);
        nn.Module Child(string name) => children.TryGetValue(name, out var m)
            ? m
            : throw new NotSupportedException($"ResNet block '{path}' has no child '{name}'.");
        string Apply(string name, string x) => Emit(Child(name), x, Join(path, name));

        string identity = children.TryGetValue("downsample", out var downsample) ? Emit(downsample, input, Join(path, "downsample")) : input;
        string x = Apply("relu", Apply("bn1", Apply("conv1", input)));
        x = Apply("bn2", Apply("conv2", x));
        if (bottleneck)
        {
            x = Apply("bn3", Apply("conv3", Emit(Child("relu"), x, Join(path, "relu2"))));
        }

        return Emit(Child("relu"), Node("Add", Join(path, "add"), x, identity), Join(path, "relu_out"));
    }

    private string EmitInvertedResidual(nn.Module block, string childName, string input, string path)
    {
        var body = block.named_children().FirstOrDefault(c => c.name == childName).module
                   ?? throw new NotSupportedException($"Block '{path}' ({block.GetType().FullName}) has no child '{childName}'.");
        string output = Emit(body, input, Join(path, childName));

        // torchvision: the residual is used when the block keeps the resolution and the channel count.
        var convs = ConvolutionsInExecutionOrder(body).ToArray();
        bool residual = convs.Length > 0
                        && convs.All(c => c.stride.All(s => s == 1))
                        && convs[0].in_channels == convs[^1].out_channels;
        return residual ? Node("Add", Join(path, "add"), output, input) : output;
    }

    private static IEnumerable<Conv2d> ConvolutionsInExecutionOrder(nn.Module module)
    {
        if (module is Conv2d conv)
        {
            yield return conv;
            yield break;
        }

        foreach (var (_, child) in module.named_children())
        {
            foreach (var c in ConvolutionsInExecutionOrder(child))
            {
                yield return c;
            }
        }
    }

    private string EmitSqueezeExcitation(nn.Module se, string input, string path)
    {
        var children = se.named_children().ToDictionary(c => c.name, c => c.module);
        string s = input;
        foreach (var name in new[] { "avgpool", "fc1", "activation", "fc2", "scale_activation" })
        {
            if (!children.TryGetValue(name, out var child))
            {
                throw new NotSupportedException($"SqueezeExcitation '{path}' has no child '{name}'.");
            }

            s = Emit(child, s, Join(path, name));
        }

        return Node("Mul", Join(path, "scale"), input, s);
    }
}
