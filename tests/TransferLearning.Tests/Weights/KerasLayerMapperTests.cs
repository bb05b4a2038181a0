using TransferLearning.Backbones;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Weights;

public sealed class KerasLayerMapperTests : IDisposable
{
    private readonly string folder = StateDictAssert.TempFolder();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    public static TheoryData<string, string> Layouts => new()
    {
        { "keras_mobilenet_025", "keras2-weights" },
        { "keras_mobilenet_025", "keras2-model" },
        { "keras_mobilenet_025", "keras3" },
        { "keras_mobilenet_025", "keras3-model" },
        { "keras_mobilenet_v2_035", "keras2-weights" },
        { "keras_mobilenet_v2_035", "keras3-model" },
        { "keras_resnet50", "keras2-model" },
        { "keras_resnet50", "keras3" },
        { "vgg16", "keras3" },
    };

    private static List<KerasLayerWeights> Top(BackboneInfo info) => info.KerasTopLayers.Select(l => l.Kind == KerasLayerKind.Conv2D
        ? new KerasLayerWeights(l.Name, l.Kind, new[]
        {
            new KerasArray("kernel", new ulong[] { 1, 1, (ulong)info.FeatureChannels, 7 }, new float[info.FeatureChannels * 7]),
            new KerasArray("bias", new ulong[] { 7 }, new float[7]),
        })
        : KerasTestFiles.Dense(l.Name, info.FeatureChannels, 7)).ToList();

    private string Write(BackboneInfo info, string layout, List<KerasLayerWeights> layers)
    {
        string path = Path.Combine(folder, $"{info.Name}-{layout}.h5");
        switch (layout)
        {
            case "keras2-weights":
                KerasTestFiles.WriteKeras2(path, layers, fullModel: false);
                break;
            case "keras2-model":
                KerasTestFiles.WriteKeras2(path, layers, fullModel: true, Top(info));
                break;
            case "keras3":
                KerasTestFiles.WriteKeras3(path, layers);
                break;
            default:
                KerasTestFiles.WriteKeras3(path, layers, Top(info));
                break;
        }

        return path;
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void LoadInto_KerasLayout_EveryLayerLandsTransposedInItsModule(string backbone, string layout)
    {
        var info = BackboneCatalog.Get(backbone);
        var layers = KerasTestFiles.RandomWeights(info, seed: 5);
        string path = Write(info, layout, layers);
        using var model = BackboneModule.Create(info);
        TransferLearning.Weights.Weights.FromFile(path).LoadInto(model);

        // Checked element by element from the Keras arrays (H, W, in, out) at a few positions of every layer.
        var state = model.state_dict();
        var random = new Random(1);
        var keys = info.KerasLayers!.ToDictionary(l => l.Name, l => l.Key!);
        foreach (var layer in layers)
        {
            string key = keys[layer.Name];
            foreach (var array in layer.Arrays)
            {
                string suffix = array.Name switch
                {
                    "kernel" or "depthwise_kernel" or "gamma" => "weight",
                    "beta" or "bias" => "bias",
                    "moving_mean" => "running_mean",
                    _ => "running_var",
                };
                var t = state[key + "." + suffix];
                for (int n = 0; n < 3; n++)
                {
                    int flat = random.Next(array.Values.Length);
                    float actual;
                    if (array.Shape.Length == 4)
                    {
                        // Keras index (h, w, i, o) of the flat position.
                        long o = flat % (long)array.Shape[3];
                        long i = flat / (long)array.Shape[3] % (long)array.Shape[2];
                        long w = flat / (long)(array.Shape[3] * array.Shape[2]) % (long)array.Shape[1];
                        long h = flat / (long)(array.Shape[3] * array.Shape[2] * array.Shape[1]);
                        actual = array.Name == "depthwise_kernel" ? t[i, 0, h, w].item<float>() : t[o, i, h, w].item<float>();
                    }
                    else
                    {
                        actual = t[flat].item<float>();
                    }

                    Assert.True(array.Values[flat] == actual, $"{layer.Name}/{array.Name}[{flat}]: file {array.Values[flat]}, module {actual}");
                }
            }
        }
    }

    [Fact]
    public void LoadInto_OneKernelTransposed_RefusedNamingTheLayerAndNothingLoaded()
    {
        var info = BackboneCatalog.KerasMobileNet;
        var layers = KerasTestFiles.RandomWeights(info, seed: 2);
        int index = layers.FindIndex(l => l.Name == "conv_pw_4");
        var kernel = layers[index].Arrays[0];
        Assert.Equal(new ulong[] { 1, 1, 128, 256 }, kernel.Shape);
        layers[index] = layers[index] with { Arrays = new[] { kernel with { Shape = new ulong[] { 1, 1, 256, 128 } } } };
        string path = Path.Combine(folder, "transposed.h5");
        KerasTestFiles.WriteKeras2(path, layers, fullModel: false);

        using var model = BackboneModule.Create(info);
        var before = StateDictAssert.Snapshot(model);
        var error = Assert.Throws<WeightsMismatchException>(() => TransferLearning.Weights.Weights.FromFile(path).LoadInto(model));
        Assert.Contains("conv_pw_4/kernel", error.Message);
        Assert.Contains("[1, 1, 128, 256]", error.Message);
        Assert.Single(error.ShapeMismatches);
        Assert.Empty(error.MissingKeys);
        StateDictAssert.Unchanged(before, model);
    }

    [Fact]
    public void LoadInto_OneLayerMissing_RefusedNamingTheLayer()
    {
        var info = BackboneCatalog.KerasMobileNetV2;
        var layers = KerasTestFiles.RandomWeights(info, seed: 3).Where(l => l.Name != "block_5_expand").ToList();
        string path = Path.Combine(folder, "missing.h5");
        KerasTestFiles.WriteKeras2(path, layers, fullModel: true, new[] { KerasTestFiles.Dense("predictions", 1280, 4) });
        using var model = BackboneModule.Create(info);
        var error = Assert.Throws<WeightsMismatchException>(() => TransferLearning.Weights.Weights.FromFile(path).LoadInto(model));
        Assert.Contains("block_5_expand", Assert.Single(error.MissingKeys));
        Assert.Contains("block_5_expand", error.Message);
    }

    [Fact]
    public void LoadInto_ResNetKernelTransposedInKeras3File_RefusedNamingTheLayer()
    {
        var info = BackboneCatalog.KerasResNet50;
        var layers = KerasTestFiles.RandomWeights(info, seed: 4);
        int index = layers.FindIndex(l => l.Name == "conv4_block1_1_conv");
        var kernel = layers[index].Arrays[0];
        layers[index] = layers[index] with { Arrays = new[] { kernel with { Shape = new[] { kernel.Shape[0], kernel.Shape[1], kernel.Shape[3], kernel.Shape[2] } }, layers[index].Arrays[1] } };
        string path = Path.Combine(folder, "resnet-keras3.h5");
        KerasTestFiles.WriteKeras3(path, layers);
        using var model = BackboneModule.Create(info);
        var error = Assert.Throws<WeightsMismatchException>(() => TransferLearning.Weights.Weights.FromFile(path).LoadInto(model));
        Assert.Contains("conv4_block1_1_conv", Assert.Single(error.ShapeMismatches).Key);
    }

    [Fact]
    public void LoadInto_UnknownLayerInFile_ReportedAsUnexpected()
    {
        var info = BackboneCatalog.Get("keras_mobilenet_025");
        var layers = KerasTestFiles.RandomWeights(info, seed: 6);
        layers.Add(layers[0] with { Name = "extra_conv" });
        string path = Path.Combine(folder, "extra.h5");
        KerasTestFiles.WriteKeras2(path, layers, fullModel: false);
        using var model = BackboneModule.Create(info);
        var error = Assert.Throws<WeightsMismatchException>(() => TransferLearning.Weights.Weights.FromFile(path).LoadInto(model));
        Assert.Contains("extra_conv", Assert.Single(error.UnexpectedKeys));
    }

    [Fact]
    public void LoadInto_Vgg16FileIntoMobileNet_ListsMissingAndUnexpectedLayers()
    {
        string path = Path.Combine(folder, "vgg.h5");
        KerasTestFiles.WriteKeras2(path, KerasTestFiles.RandomWeights(BackboneCatalog.Vgg16, seed: 1).Take(2), fullModel: false);
        using var model = BackboneModule.Create(BackboneCatalog.Get("keras_mobilenet_025"));
        var error = Assert.Throws<WeightsMismatchException>(() => TransferLearning.Weights.Weights.FromFile(path).LoadInto(model));
        Assert.Contains(error.MissingKeys, k => k.StartsWith("conv1 ", StringComparison.Ordinal));
        Assert.Contains(error.UnexpectedKeys, k => k.StartsWith("block1_conv1", StringComparison.Ordinal));
    }
}
