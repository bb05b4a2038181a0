using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using TransferLearning.Data;
using TransferLearning.Weights;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TransferLearning.Backbones;

/// <summary>
/// Keras Applications' MobileNet (v1), MobileNetV2 and ResNet50 built layer for layer as Keras builds them: Keras
/// layer names as module names (so state-dict keys end with the Keras layer name), TensorFlow "same" and
/// <c>ZeroPadding2D</c> padding (bottom/right first) on stride-2 convolutions, BatchNormalization epsilon and momentum
/// as Keras sets them (1e-3 for MobileNets, 1.001e-5 for ResNet50), ReLU6 where Keras has it, and ResNet50 v1 (stride
/// on the first 1x1 convolution, convolutions with biases). Also lists each model's layers with weights in Keras'
/// <c>model.layers</c> order, which is how <see cref="KerasH5Weights"/> maps <c>.h5</c> files.
/// </summary>
public static class KerasApplications
{
    private const string KerasBase = "https://storage.googleapis.com/tensorflow/keras-applications/";

    /// <summary>The MobileNet (v1) widths Keras publishes ImageNet weights for.</summary>
    public static IReadOnlyList<double> MobileNetAlphas { get; } = new[] { 1.0, 0.75, 0.5, 0.25 };

    /// <summary>The MobileNetV2 widths Keras publishes ImageNet weights for.</summary>
    public static IReadOnlyList<double> MobileNetV2Alphas { get; } = new[] { 1.0, 0.35, 0.5, 0.75, 1.3, 1.4 };

    /// <summary>A catalogue entry for Keras' <c>MobileNet(alpha=...)</c> (v1, depth multiplier 1).</summary>
    /// <param name="alpha">Width multiplier (Keras publishes weights for 0.25, 0.5, 0.75 and 1.0).</param>
    /// <param name="name">Catalogue id; default <c>keras_mobilenet</c> for 1.0, else <c>keras_mobilenet_050</c> and so on.</param>
    public static BackboneInfo MobileNet(double alpha = 1.0, string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(alpha);
        var spec = new NetworkSpec();
        int F(int filters) => (int)(filters * alpha);
        int channels = F(32);
        spec.Unit("conv1_pad", () => KerasPadding2d.Same("conv1_pad", 3, 2));
        spec.Conv("conv1", 3, channels, 3, 2, padding: 0, bias: false);
        spec.BatchNorm("conv1_bn", channels, 1e-3, 0.99);
        spec.Unit("conv1_relu", () => ReLU6());
        spec.EndBlock("conv1_relu", channels, 2);
        int stride = 2;
        var config = new (int Filters, int Stride)[]
        {
            (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
        };
        for (int i = 0; i < config.Length; i++)
        {
            int id = i + 1;
            var (filters, s) = config[i];
            if (s == 2)
            {
                spec.Unit($"conv_pad_{id}", () => KerasPadding2d.Fixed($"conv_pad_{id}", 0, 1, 0, 1));
            }

            spec.Conv($"conv_dw_{id}", channels, channels, 3, s, padding: s == 1 ? 1 : 0, bias: false, groups: channels);
            spec.BatchNorm($"conv_dw_{id}_bn", channels, 1e-3, 0.99);
            spec.Unit($"conv_dw_{id}_relu", () => ReLU6());
            int outChannels = F(filters);
            spec.Conv($"conv_pw_{id}", channels, outChannels, 1, 1, padding: 0, bias: false);
            spec.BatchNorm($"conv_pw_{id}_bn", outChannels, 1e-3, 0.99);
            spec.Unit($"conv_pw_{id}_relu", () => ReLU6());
            channels = outChannels;
            stride *= s;
            spec.EndBlock($"conv_pw_{id}_relu", channels, stride);
        }

        string alphaText = alpha switch { 1.0 => "1_0", 0.75 => "7_5", 0.5 => "5_0", _ => "2_5" };
        bool published = MobileNetAlphas.Contains(alpha);
        return spec.Build(
            name ?? (alpha == 1.0 ? "keras_mobilenet" : "keras_mobilenet_" + AlphaId(alpha)),
            $"MobileNet (Keras, alpha {alpha.ToString(CultureInfo.InvariantCulture)})",
            $"Keras Applications MobileNet v1, alpha {alpha.ToString(CultureInfo.InvariantCulture)}: Keras layer names, 'same'/ZeroPadding2D((0,1),(0,1)) stride-2 padding, BatchNorm eps 1e-3, ReLU6; preprocessing 'tf' ([-1, 1]).",
            ImagePreprocessing.Tf,
            published
                ? new[] { KerasWeights("imagenet", $"mobilenet_{alphaText}_224_tf_no_top.h5", "mobilenet/") }
                : Array.Empty<PretrainedWeightsInfo>(),
            new[] { new KerasLayer { Name = "conv_preds", Kind = KerasLayerKind.Conv2D } });
    }

    /// <summary>A catalogue entry for Keras' <c>MobileNetV2(alpha=...)</c>.</summary>
    /// <param name="alpha">Width multiplier (Keras publishes weights for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4).</param>
    /// <param name="name">Catalogue id; default <c>keras_mobilenet_v2</c> for 1.0, else <c>keras_mobilenet_v2_035</c> and so on.</param>
    public static BackboneInfo MobileNetV2(double alpha = 1.0, string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(alpha);
        var spec = new NetworkSpec();
        int channels = MakeDivisible(32 * alpha);
        spec.Unit("Conv1_pad", () => KerasPadding2d.Same("Conv1_pad", 3, 2));
        spec.Conv("Conv1", 3, channels, 3, 2, padding: 0, bias: false);
        spec.BatchNorm("bn_Conv1", channels, 1e-3, 0.999);
        spec.Unit("Conv1_relu", () => ReLU6());
        spec.EndBlock("Conv1_relu", channels, 2);
        int stride = 2;
        var config = new (int Filters, int Stride, int Expansion)[]
        {
            (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
            (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6),
        };
        for (int id = 0; id < config.Length; id++)
        {
            var (filters, s, expansion) = config[id];
            int pointwise = MakeDivisible((int)(filters * alpha));
            string unit = id == 0 ? "expanded_conv" : $"block_{id}";
            string prefix = unit + "_";
            var main = new List<(string, Func<Module<Tensor, Tensor>>)>();
            int expanded = channels;
            if (id > 0)
            {
                expanded = expansion * channels;
                main.Add(spec.Layer(unit, prefix + "expand", KerasLayerKind.Conv2D, Conv(channels, expanded, 1, 1, 0, false)));
                main.Add(spec.Layer(unit, prefix + "expand_BN", KerasLayerKind.BatchNormalization, Bn(expanded, 1e-3, 0.999)));
                main.Add((prefix + "expand_relu", () => ReLU6()));
            }

            if (s == 2)
            {
                main.Add((prefix + "pad", () => KerasPadding2d.Same(prefix + "pad", 3, 2)));
            }

            main.Add(spec.Layer(unit, prefix + "depthwise", KerasLayerKind.DepthwiseConv2D, Conv(expanded, expanded, 3, s, s == 1 ? 1 : 0, false, expanded)));
            main.Add(spec.Layer(unit, prefix + "depthwise_BN", KerasLayerKind.BatchNormalization, Bn(expanded, 1e-3, 0.999)));
            main.Add((prefix + "depthwise_relu", () => ReLU6()));
            main.Add(spec.Layer(unit, prefix + "project", KerasLayerKind.Conv2D, Conv(expanded, pointwise, 1, 1, 0, false)));
            main.Add(spec.Layer(unit, prefix + "project_BN", KerasLayerKind.BatchNormalization, Bn(pointwise, 1e-3, 0.999)));
            bool add = channels == pointwise && s == 1;
            spec.Residual(unit, main, Array.Empty<(string, Func<Module<Tensor, Tensor>>)>(), add, null);
            channels = pointwise;
            stride *= s;
            spec.EndBlock(add ? prefix + "add" : prefix + "project_BN", channels, stride);
        }

        int last = alpha > 1.0 ? MakeDivisible(1280 * alpha) : 1280;
        spec.Conv("Conv_1", channels, last, 1, 1, padding: 0, bias: false);
        spec.BatchNorm("Conv_1_bn", last, 1e-3, 0.999);
        spec.Unit("out_relu", () => ReLU6());
        spec.EndBlock("out_relu", last, stride);

        string alphaText = alpha.ToString("0.0#", CultureInfo.InvariantCulture);
        bool published = MobileNetV2Alphas.Contains(alpha);
        return spec.Build(
            name ?? (alpha == 1.0 ? "keras_mobilenet_v2" : "keras_mobilenet_v2_" + AlphaId(alpha)),
            $"MobileNetV2 (Keras, alpha {alpha.ToString(CultureInfo.InvariantCulture)})",
            $"Keras Applications MobileNetV2, alpha {alpha.ToString(CultureInfo.InvariantCulture)}: Keras layer names, 'same'/correct_pad stride-2 padding, BatchNorm eps 1e-3, ReLU6; preprocessing 'tf' ([-1, 1]).",
            ImagePreprocessing.Tf,
            published
                ? new[] { KerasWeights("imagenet", $"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alphaText}_224_no_top.h5", "mobilenet_v2/") }
                : Array.Empty<PretrainedWeightsInfo>(),
            new[] { new KerasLayer { Name = "predictions", Kind = KerasLayerKind.Dense } });
    }

    /// <summary>A catalogue entry for Keras' <c>ResNet50</c> (v1: stride on the first 1x1 convolution, convolutions with biases).</summary>
    /// <param name="name">Catalogue id; default <c>keras_resnet50</c>.</param>
    public static BackboneInfo ResNet50(string name = "keras_resnet50")
    {
        const double Epsilon = 1.001e-5;
        var spec = new NetworkSpec();
        spec.Unit("conv1_pad", () => KerasPadding2d.Fixed("conv1_pad", 3, 3, 3, 3));
        spec.Conv("conv1_conv", 3, 64, 7, 2, padding: 0, bias: true);
        spec.BatchNorm("conv1_bn", 64, Epsilon, 0.99);
        spec.Unit("conv1_relu", () => ReLU());
        spec.Unit("pool1_pad", () => KerasPadding2d.Fixed("pool1_pad", 1, 1, 1, 1));
        spec.Unit("pool1_pool", () => MaxPool2d(3, stride: 2));
        spec.EndBlock("pool1_pool", 64, 4);
        int channels = 64;
        int stride = 4;
        foreach (var (stage, filters, blocks, firstStride) in new[] { ("conv2", 64, 3, 1), ("conv3", 128, 4, 2), ("conv4", 256, 6, 2), ("conv5", 512, 3, 2) })
        {
            for (int b = 1; b <= blocks; b++)
            {
                string unit = $"{stage}_block{b}";
                int s = b == 1 ? firstStride : 1;
                var shortcut = new List<(string, Func<Module<Tensor, Tensor>>)>();
                var main = new List<(string, Func<Module<Tensor, Tensor>>)>();

                // Keras' model.layers order (by depth from the output, ties in traversal order):
                // 1_conv, 1_bn, 2_conv, 2_bn, then 0_conv, 3_conv, then 0_bn, 3_bn.
                main.Add(spec.Layer(unit, unit + "_1_conv", KerasLayerKind.Conv2D, Conv(channels, filters, 1, s, 0, true)));
                main.Add(spec.Layer(unit, unit + "_1_bn", KerasLayerKind.BatchNormalization, Bn(filters, Epsilon, 0.99)));
                main.Add((unit + "_1_relu", () => ReLU()));
                main.Add(spec.Layer(unit, unit + "_2_conv", KerasLayerKind.Conv2D, Conv(filters, filters, 3, 1, 1, true)));
                main.Add(spec.Layer(unit, unit + "_2_bn", KerasLayerKind.BatchNormalization, Bn(filters, Epsilon, 0.99)));
                main.Add((unit + "_2_relu", () => ReLU()));
                if (b == 1)
                {
                    shortcut.Add(spec.Layer(unit, unit + "_0_conv", KerasLayerKind.Conv2D, Conv(channels, 4 * filters, 1, s, 0, true)));
                }

                main.Add(spec.Layer(unit, unit + "_3_conv", KerasLayerKind.Conv2D, Conv(filters, 4 * filters, 1, 1, 0, true)));
                if (b == 1)
                {
                    shortcut.Add(spec.Layer(unit, unit + "_0_bn", KerasLayerKind.BatchNormalization, Bn(4 * filters, Epsilon, 0.99)));
                }

                main.Add(spec.Layer(unit, unit + "_3_bn", KerasLayerKind.BatchNormalization, Bn(4 * filters, Epsilon, 0.99)));
                spec.Residual(unit, main, shortcut, true, unit + "_out");
                channels = 4 * filters;
                stride *= s;
                spec.EndBlock(unit + "_out", channels, stride);
            }
        }

        return spec.Build(
            name,
            "ResNet50 (Keras)",
            "Keras Applications ResNet50 (v1: stride on the first 1x1 convolution, convolutions with biases, BatchNorm eps 1.001e-5), Keras layer names; preprocessing 'caffe' (BGR minus mean).",
            ImagePreprocessing.Caffe,
            new[] { KerasWeights("imagenet", "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "resnet/") },
            new[] { new KerasLayer { Name = "predictions", Kind = KerasLayerKind.Dense } });
    }

    /// <summary>Keras' VGG16 layers with weights mapped onto the torchvision layout of <see cref="VggFeatures"/> (<c>features.N</c>).</summary>
    public static IReadOnlyList<KerasLayer> Vgg16Layers { get; } = BuildVgg16Layers();

    /// <summary>The old classifier of Keras' VGG16 (<c>include_top=True</c>): fc1, fc2, predictions.</summary>
    public static IReadOnlyList<KerasLayer> Vgg16TopLayers { get; } = new[] { "fc1", "fc2", "predictions" }
        .Select(n => new KerasLayer { Name = n, Kind = KerasLayerKind.Dense }).ToArray();

    /// <summary>Keras' <c>_make_divisible(v, 8)</c>: rounds channels to a multiple of 8, never down by more than 10 %.</summary>
    /// <param name="value">Channels before rounding.</param>
    public static int MakeDivisible(double value)
    {
        const int Divisor = 8;
        int rounded = Math.Max(Divisor, (int)(value + (Divisor / 2.0)) / Divisor * Divisor);
        return rounded < 0.9 * value ? rounded + Divisor : rounded;
    }

    private static string AlphaId(double alpha) => ((int)Math.Round(alpha * 100)).ToString("000", CultureInfo.InvariantCulture);

    private static IReadOnlyList<KerasLayer> BuildVgg16Layers()
    {
        var layers = new List<KerasLayer>();
        int index = 0;
        int[] convsPerBlock = { 2, 2, 3, 3, 3 };
        for (int b = 0; b < convsPerBlock.Length; b++)
        {
            for (int c = 1; c <= convsPerBlock[b]; c++)
            {
                layers.Add(new KerasLayer { Name = $"block{b + 1}_conv{c}", Kind = KerasLayerKind.Conv2D, Key = "features." + index.ToString(CultureInfo.InvariantCulture) });
                index += 2; // conv, relu
            }

            index++; // max pool
        }

        return layers;
    }

    private static PretrainedWeightsInfo KerasWeights(string name, string file, string folder) => new()
    {
        Name = name,
        FileName = file,
        Url = new Uri(KerasBase + folder + file),
        Format = WeightsFormat.KerasH5,
        Origin = "Keras Applications",
    };

    private static Func<Module<Tensor, Tensor>> Conv(int inChannels, int outChannels, int kernel, int stride, int padding, bool bias, int groups = 1) =>
        () => Conv2d(inChannels, outChannels, kernel, stride: stride, padding: padding, bias: bias, groups: groups);

    // Keras momentum m keeps m of the old statistics; PyTorch's momentum is the weight of the new batch: 1 - m.
    private static Func<Module<Tensor, Tensor>> Bn(int channels, double epsilon, double kerasMomentum) =>
        () => BatchNorm2d(channels, eps: epsilon, momentum: 1 - kerasMomentum);

    /// <summary>Collects the top-level units (as factories), the blocks and the Keras layer list while a network is described.</summary>
    private sealed class NetworkSpec
    {
        private readonly List<(string Name, Func<Module<Tensor, Tensor>> Create)> units = new();
        private readonly List<BackboneBlock> blocks = new();
        private readonly List<KerasLayer> layers = new();
        private int blockStart;

        public void Unit(string name, Func<Module<Tensor, Tensor>> create) => units.Add((name, create));

        public void Conv(string name, int inChannels, int outChannels, int kernel, int stride, int padding, bool bias, int groups = 1)
        {
            layers.Add(new KerasLayer { Name = name, Kind = groups == 1 ? KerasLayerKind.Conv2D : KerasLayerKind.DepthwiseConv2D, Key = name });
            units.Add((name, KerasApplications.Conv(inChannels, outChannels, kernel, stride, padding, bias, groups)));
        }

        public void BatchNorm(string name, int channels, double epsilon, double kerasMomentum)
        {
            layers.Add(new KerasLayer { Name = name, Kind = KerasLayerKind.BatchNormalization, Key = name });
            units.Add((name, Bn(channels, epsilon, kerasMomentum)));
        }

        public (string, Func<Module<Tensor, Tensor>>) Layer(string unit, string name, KerasLayerKind kind, Func<Module<Tensor, Tensor>> create)
        {
            layers.Add(new KerasLayer { Name = name, Kind = kind, Key = unit + "." + name });
            return (name, create);
        }

        public void Residual(
            string unit,
            IReadOnlyList<(string Name, Func<Module<Tensor, Tensor>> Create)> main,
            IReadOnlyList<(string Name, Func<Module<Tensor, Tensor>> Create)> shortcut,
            bool add,
            string? reluOut)
        {
            var mainList = main.ToArray();
            var shortcutList = shortcut.ToArray();
            units.Add((unit, () => new KerasResidualBlock(
                unit,
                mainList.Select(l => (l.Name, l.Create())).ToArray(),
                shortcutList.Select(l => (l.Name, l.Create())).ToArray(),
                add,
                reluOut is null ? null : (reluOut, ReLU()))));
        }

        public void EndBlock(string name, int channels, int stride)
        {
            blocks.Add(new BackboneBlock { Name = name, Units = units.Skip(blockStart).Select(u => u.Name).ToArray(), OutputChannels = channels, Stride = stride });
            blockStart = units.Count;
        }

        public BackboneInfo Build(string name, string displayName, string description, ImagePreprocessing preprocessing, IReadOnlyList<PretrainedWeightsInfo> pretrained, IReadOnlyList<KerasLayer> top)
        {
            var unitList = units.ToArray();
            return new BackboneInfo
            {
                Name = name,
                DisplayName = displayName,
                Description = description,
                Factory = () => new KerasNetwork(name, unitList.Select(u => (u.Name, u.Create())).ToArray()),
                Blocks = blocks.ToArray(),
                Preprocessing = preprocessing,
                Pretrained = pretrained,
                KerasLayers = layers.ToArray(),
                KerasTopLayers = top,
            };
        }
    }

    /// <summary>The whole network: its units as named children, applied in order.</summary>
    private sealed class KerasNetwork : Module<Tensor, Tensor>
    {
        private readonly (string Name, Module<Tensor, Tensor> Module)[] units;

        public KerasNetwork(string name, (string Name, Module<Tensor, Tensor> Module)[] units)
            : base(name)
        {
            this.units = units;
            foreach (var (unit, module) in units)
            {
                register_module(unit, module);
            }
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var x = input;
            foreach (var (_, module) in units)
            {
                x = module.call(x);
            }

            return x.MoveToOuterDisposeScope();
        }
    }
}
