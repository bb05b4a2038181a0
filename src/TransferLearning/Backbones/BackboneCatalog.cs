using System.Globalization;
using TorchSharp;
using TransferLearning.Data;
using TransferLearning.Weights;

namespace TransferLearning.Backbones;

/// <summary>
/// The table of supported backbones (like fastai's <c>model_meta</c> and Keras Applications): one
/// <see cref="BackboneInfo"/> per architecture, looked up by name. No switch statements elsewhere: everything the
/// library needs to know about an architecture is in its entry.
/// </summary>
public static class BackboneCatalog
{
    private static readonly BackboneInfo[] Ordered = Build().ToArray();

    private static readonly Dictionary<string, BackboneInfo> Entries = Ordered.ToDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every entry, in a stable order.</summary>
    public static IReadOnlyList<BackboneInfo> All { get; } = Ordered;

    /// <summary>VGG16 with Keras-style block names block1..block5.</summary>
    public static BackboneInfo Vgg16 => Entries["vgg16"];

    /// <summary>VGG16 with BatchNorm.</summary>
    public static BackboneInfo Vgg16Bn => Entries["vgg16_bn"];

    /// <summary>MobileNetV2 (torchvision layout).</summary>
    public static BackboneInfo MobileNetV2 => Entries["mobilenet_v2"];

    /// <summary>MobileNetV3-Small (torchvision layout).</summary>
    public static BackboneInfo MobileNetV3Small => Entries["mobilenet_v3_small"];

    /// <summary>MobileNetV3-Large (torchvision layout).</summary>
    public static BackboneInfo MobileNetV3Large => Entries["mobilenet_v3_large"];

    /// <summary>ResNet18 (torchvision layout, stages [2,2,2,2]).</summary>
    public static BackboneInfo ResNet18 => Entries["resnet18"];

    /// <summary>ResNet34 (torchvision layout, stages [3,4,6,3]).</summary>
    public static BackboneInfo ResNet34 => Entries["resnet34"];

    /// <summary>ResNet50 (torchvision layout, bottleneck stages [3,4,6,3]).</summary>
    public static BackboneInfo ResNet50 => Entries["resnet50"];

    /// <summary>Keras Applications' MobileNet (v1, alpha 1.0) with Keras layer names, padding and preprocessing.</summary>
    public static BackboneInfo KerasMobileNet => Entries["keras_mobilenet"];

    /// <summary>Keras Applications' MobileNetV2 (alpha 1.0) with Keras layer names, padding and preprocessing.</summary>
    public static BackboneInfo KerasMobileNetV2 => Entries["keras_mobilenet_v2"];

    /// <summary>Keras Applications' ResNet50 (v1) with Keras layer names and caffe preprocessing.</summary>
    public static BackboneInfo KerasResNet50 => Entries["keras_resnet50"];

    /// <summary>
    /// The ImageNet ResNet18 shipped in NuGet <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (CNTK export): stages
    /// [2,2,2,3], BGR input minus the mean image, no std. Works offline.
    /// </summary>
    public static BackboneInfo ResNet18Cntk => Entries["resnet18_cntk"];

    /// <summary>Returns the entry with the given name.</summary>
    /// <param name="name">Catalogue id, case-insensitive (for example "resnet18").</param>
    /// <exception cref="ArgumentException">Unknown name; the message lists the valid names.</exception>
    public static BackboneInfo Get(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (Entries.TryGetValue(name.Trim(), out var info))
        {
            return info;
        }

        throw new ArgumentException($"Unknown backbone '{name}'. Valid backbones: {string.Join(", ", All.Select(e => e.Name))}.", nameof(name));
    }

    /// <summary>Whether the catalogue has an entry with the given name.</summary>
    /// <param name="name">Catalogue id, case-insensitive.</param>
    public static bool Contains(string name) => name is not null && Entries.ContainsKey(name.Trim());

    private static string[] Range(int from, int toInclusive) =>
        Enumerable.Range(from, toInclusive - from + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    private static BackboneBlock Block(string name, string[] units, int channels, int stride) =>
        new() { Name = name, Units = units, OutputChannels = channels, Stride = stride };

    private static PretrainedWeightsInfo TorchVisionWeights(string file) => new()
    {
        Name = "imagenet",
        FileName = file,
        Url = new Uri("https://download.pytorch.org/models/" + file),
        // torchvision names each file after the first 8 hex digits of its SHA-256 (torch.hub's check_hash).
        Sha256 = file[(file.LastIndexOf('-') + 1)..file.LastIndexOf('.')],
        Format = WeightsFormat.PyTorch,
        Origin = "torchvision (IMAGENET1K_V1)",
    };

    private static IReadOnlyList<BackboneBlock> ResNetBlocks(int expansion) => new[]
    {
        Block("stem", new[] { "conv1", "bn1", "relu", "maxpool" }, 64, 4),
        Block("layer1", new[] { "layer1" }, 64 * expansion, 4),
        Block("layer2", new[] { "layer2" }, 128 * expansion, 8),
        Block("layer3", new[] { "layer3" }, 256 * expansion, 16),
        Block("layer4", new[] { "layer4" }, 512 * expansion, 32),
    };

    private static IEnumerable<BackboneInfo> Build()
    {
        yield return new BackboneInfo
        {
            Name = "vgg16",
            DisplayName = "VGG16",
            Description = "VGG16 (torchvision layout, Keras block names block1..block5).",
            Factory = () => VggFeatures.Create(VggFeatures.Vgg16Config, batchNorm: false),
            Container = "features",
            Blocks = new[]
            {
                Block("block1", Range(0, 4), 64, 2),
                Block("block2", Range(5, 9), 128, 4),
                Block("block3", Range(10, 16), 256, 8),
                Block("block4", Range(17, 23), 512, 16),
                Block("block5", Range(24, 30), 512, 32),
            },
            Preprocessing = ImagePreprocessing.Torch,
            Pretrained = new[]
            {
                TorchVisionWeights("vgg16-397923af.pth"),
                new PretrainedWeightsInfo
                {
                    Name = "imagenet-keras",
                    FileName = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    Url = new Uri("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
                    Format = WeightsFormat.KerasH5,
                    Origin = "Keras Applications (expects ImagePreprocessing.Caffe)",
                },
            },
            ClassifierKeyPrefixes = new[] { "classifier." },
            KerasLayers = KerasApplications.Vgg16Layers,
            KerasTopLayers = KerasApplications.Vgg16TopLayers,
        };
        yield return new BackboneInfo
        {
            Name = "vgg16_bn",
            DisplayName = "VGG16-BN",
            Description = "VGG16 with BatchNorm (torchvision layout, Keras block names).",
            Factory = () => VggFeatures.Create(VggFeatures.Vgg16Config, batchNorm: true),
            Container = "features",
            Blocks = new[]
            {
                Block("block1", Range(0, 6), 64, 2),
                Block("block2", Range(7, 13), 128, 4),
                Block("block3", Range(14, 23), 256, 8),
                Block("block4", Range(24, 33), 512, 16),
                Block("block5", Range(34, 43), 512, 32),
            },
            Preprocessing = ImagePreprocessing.Torch,
            Pretrained = new[] { TorchVisionWeights("vgg16_bn-6c64b313.pth") },
            ClassifierKeyPrefixes = new[] { "classifier." },
        };
        yield return new BackboneInfo
        {
            Name = "mobilenet_v2",
            DisplayName = "MobileNetV2",
            Description = "MobileNetV2 1.0 (torchvision).",
            Factory = () => torchvision.models.mobilenet_v2(),
            Container = "features",
            Blocks = new[]
            {
                Block("stem", Range(0, 0), 32, 2),
                Block("block1", Range(1, 1), 16, 2),
                Block("block2", Range(2, 3), 24, 4),
                Block("block3", Range(4, 6), 32, 8),
                Block("block4", Range(7, 10), 64, 16),
                Block("block5", Range(11, 13), 96, 16),
                Block("block6", Range(14, 16), 160, 32),
                Block("block7", Range(17, 17), 320, 32),
                Block("top", Range(18, 18), 1280, 32),
            },
            Preprocessing = ImagePreprocessing.Torch,
            Pretrained = new[] { TorchVisionWeights("mobilenet_v2-b0353104.pth") },
            ClassifierKeyPrefixes = new[] { "classifier." },
        };
        yield return new BackboneInfo
        {
            Name = "mobilenet_v3_small",
            DisplayName = "MobileNetV3-Small",
            Description = "MobileNetV3-Small (torchvision).",
            Factory = () => torchvision.models.mobilenet_v3_small(),
            Container = "features",
            Blocks = new[]
            {
                Block("stem", Range(0, 0), 16, 2),
                Block("block1", Range(1, 1), 16, 4),
                Block("block2", Range(2, 3), 24, 8),
                Block("block3", Range(4, 6), 40, 16),
                Block("block4", Range(7, 8), 48, 16),
                Block("block5", Range(9, 11), 96, 32),
                Block("top", Range(12, 12), 576, 32),
            },
            Preprocessing = ImagePreprocessing.Torch,
            Pretrained = new[] { TorchVisionWeights("mobilenet_v3_small-047dcff4.pth") },
            ClassifierKeyPrefixes = new[] { "classifier.", "avgpool." },
        };
        yield return new BackboneInfo
        {
            Name = "mobilenet_v3_large",
            DisplayName = "MobileNetV3-Large",
            Description = "MobileNetV3-Large (torchvision).",
            Factory = () => torchvision.models.mobilenet_v3_large(),
            Container = "features",
            Blocks = new[]
            {
                Block("stem", Range(0, 0), 16, 2),
                Block("block1", Range(1, 1), 16, 2),
                Block("block2", Range(2, 3), 24, 4),
                Block("block3", Range(4, 6), 40, 8),
                Block("block4", Range(7, 10), 80, 16),
                Block("block5", Range(11, 12), 112, 16),
                Block("block6", Range(13, 15), 160, 32),
                Block("top", Range(16, 16), 960, 32),
            },
            Preprocessing = ImagePreprocessing.Torch,
            Pretrained = new[] { TorchVisionWeights("mobilenet_v3_large-8738ca79.pth") },
            ClassifierKeyPrefixes = new[] { "classifier.", "avgpool." },
        };
        yield return new BackboneInfo
        {
            Name = "resnet18",
            DisplayName = "ResNet18",
            Description = "ResNet18 (torchvision layout, basic blocks [2,2,2,2]).",
            Factory = () => new ResNetFeatures("ResNet18", new[] { 2, 2, 2, 2 }, bottleneck: false),
            Blocks = ResNetBlocks(1),
            Preprocessing = ImagePreprocessing.Torch,
            Pretrained = new[] { TorchVisionWeights("resnet18-f37072fd.pth") },
            ClassifierKeyPrefixes = new[] { "fc." },
        };
        yield return new BackboneInfo
        {
            Name = "resnet34",
            DisplayName = "ResNet34",
            Description = "ResNet34 (torchvision layout, basic blocks [3,4,6,3]).",
            Factory = () => new ResNetFeatures("ResNet34", new[] { 3, 4, 6, 3 }, bottleneck: false),
            Blocks = ResNetBlocks(1),
            Preprocessing = ImagePreprocessing.Torch,
            Pretrained = new[] { TorchVisionWeights("resnet34-b627a593.pth") },
            ClassifierKeyPrefixes = new[] { "fc." },
        };
        yield return new BackboneInfo
        {
            Name = "resnet50",
            DisplayName = "ResNet50",
            Description = "ResNet50 (torchvision layout, bottleneck blocks [3,4,6,3]).",
            Factory = () => new ResNetFeatures("ResNet50", new[] { 3, 4, 6, 3 }, bottleneck: true),
            Blocks = ResNetBlocks(4),
            Preprocessing = ImagePreprocessing.Torch,
            Pretrained = new[] { TorchVisionWeights("resnet50-0676ba61.pth") },
            ClassifierKeyPrefixes = new[] { "fc." },
        };
        foreach (double alpha in KerasApplications.MobileNetAlphas)
        {
            yield return KerasApplications.MobileNet(alpha);
        }

        foreach (double alpha in KerasApplications.MobileNetV2Alphas)
        {
            yield return KerasApplications.MobileNetV2(alpha);
        }

        yield return KerasApplications.ResNet50();
        yield return new BackboneInfo
        {
            Name = "resnet18_cntk",
            DisplayName = "ResNet18 (ML.NET ImageNet)",
            Description = "The ImageNet ResNet18 of NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 (CNTK export): basic blocks [2,2,2,3], BGR minus mean, no std.",
            Factory = () => new ResNetFeatures("ResNet18Cntk", new[] { 2, 2, 2, 3 }, bottleneck: false),
            Blocks = ResNetBlocks(1),
            Preprocessing = ImagePreprocessing.CntkResNet,
            Pretrained = new[]
            {
                new PretrainedWeightsInfo
                {
                    Name = "imagenet",
                    FileName = "ResNet18.onnx",
                    Format = WeightsFormat.Onnx,
                    SizeBytes = 63_653_533,
                    Origin = "NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 (tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx)",
                },
            },
        };
    }
}
