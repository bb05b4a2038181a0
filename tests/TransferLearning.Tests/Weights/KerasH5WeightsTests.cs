using PureHDF;
using TransferLearning.Backbones;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Weights;

public sealed class KerasH5WeightsTests : IDisposable
{
    // Keras VGG16 (include_top=False) layers in model order; null channels = no weights.
    private static readonly (string Name, int In, int Out)[] Layers =
    {
        ("input_1", 0, 0),
        ("block1_conv1", 3, 64), ("block1_conv2", 64, 64), ("block1_pool", 0, 0),
        ("block2_conv1", 64, 128), ("block2_conv2", 128, 128), ("block2_pool", 0, 0),
        ("block3_conv1", 128, 256), ("block3_conv2", 256, 256), ("block3_conv3", 256, 256), ("block3_pool", 0, 0),
        ("block4_conv1", 256, 512), ("block4_conv2", 512, 512), ("block4_conv3", 512, 512), ("block4_pool", 0, 0),
        ("block5_conv1", 512, 512), ("block5_conv2", 512, 512), ("block5_conv3", 512, 512), ("block5_pool", 0, 0),
    };

    private readonly string folder = StateDictAssert.TempFolder();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>Writes a VGG16 weights file in Keras 3 layout (layers/&lt;name&gt;/vars/&lt;i&gt;).</summary>
    private static Dictionary<string, (float[] Kernel, float[] Bias)> WriteKeras3(string path, int seed)
    {
        var generator = new Random(seed);
        var values = new Dictionary<string, (float[], float[])>();
        var layers = new H5Group();
        foreach (var (name, inChannels, outChannels) in Layers)
        {
            var vars = new H5Group();
            if (outChannels > 0)
            {
                var kernel = Enumerable.Range(0, 9 * inChannels * outChannels).Select(_ => (float)(generator.NextDouble() - 0.5) * 0.1f).ToArray();
                var bias = Enumerable.Range(0, outChannels).Select(_ => (float)(generator.NextDouble() - 0.5)).ToArray();
                values[name] = (kernel, bias);
                vars["0"] = new H5Dataset(kernel, fileDims: new ulong[] { 3, 3, (ulong)inChannels, (ulong)outChannels });
                vars["1"] = new H5Dataset(bias, fileDims: new ulong[] { (ulong)outChannels });
            }

            layers[name] = new H5Group { ["vars"] = vars };
        }

        new H5File { ["layers"] = layers, ["vars"] = new H5Group() }.Write(path);
        return values;
    }

    /// <summary>Writes a VGG16 weights file in Keras 2 layout; returns the kernels (H,W,in,out flattened) and biases by layer.</summary>
    private static Dictionary<string, (float[] Kernel, float[] Bias)> WriteKeras2(string path, bool fullModel, int seed)
    {
        var generator = new Random(seed);
        var values = new Dictionary<string, (float[], float[])>();
        var root = new H5File();
        H5Group weights = root;
        if (fullModel)
        {
            weights = new H5Group();
            root["model_weights"] = weights;
            root.Attributes["keras_version"] = "2.13.1";
            root.Attributes["backend"] = "tensorflow";
        }

        var names = Layers.Select(l => l.Name).ToList();
        foreach (var (name, inChannels, outChannels) in Layers)
        {
            var layer = new H5Group();
            if (outChannels == 0)
            {
                // Keras writes a zero-length float64 array for layers without weights.
                layer.Attributes["weight_names"] = Array.Empty<double>();
            }
            else
            {
                var kernel = new float[3 * 3 * inChannels * outChannels];
                for (int i = 0; i < kernel.Length; i++)
                {
                    kernel[i] = (float)(generator.NextDouble() - 0.5) * 0.1f;
                }

                var bias = Enumerable.Range(0, outChannels).Select(_ => (float)(generator.NextDouble() - 0.5)).ToArray();
                values[name] = (kernel, bias);
                layer.Attributes["weight_names"] = new[] { name + "/kernel:0", name + "/bias:0" };
                layer[name] = new H5Group
                {
                    ["kernel:0"] = new H5Dataset(kernel, fileDims: new ulong[] { 3, 3, (ulong)inChannels, (ulong)outChannels }),
                    ["bias:0"] = new H5Dataset(bias, fileDims: new ulong[] { (ulong)outChannels }),
                };
            }

            weights[name] = layer;
        }

        if (fullModel)
        {
            // The old classifier of an include_top file: a dense layer that must be skipped.
            names.Add("predictions");
            weights["predictions"] = new H5Group
            {
                Attributes = new Dictionary<string, object> { ["weight_names"] = new[] { "predictions/kernel:0", "predictions/bias:0" } },
                ["predictions"] = new H5Group
                {
                    ["kernel:0"] = new H5Dataset(new float[8 * 3], fileDims: new ulong[] { 8, 3 }),
                    ["bias:0"] = new H5Dataset(new float[3], fileDims: new ulong[] { 3 }),
                },
            };
        }

        weights.Attributes["layer_names"] = names.ToArray();
        root.Write(path);
        return values;
    }

    [Theory]
    [InlineData("keras2-weights")]
    [InlineData("keras2-model")]
    [InlineData("keras3")]
    public void LoadInto_Vgg16KerasFile_FirstConvMatchesDirectComputation(string layout)
    {
        string path = Path.Combine(folder, layout + ".h5");
        var values = layout == "keras3" ? WriteKeras3(path, seed: 7) : WriteKeras2(path, layout == "keras2-model", seed: 7);
        var weights = TransferLearning.Weights.Weights.FromFile(path);
        Assert.IsType<KerasH5Weights>(weights);
        using var backbone = BackboneModule.Create(BackboneCatalog.Vgg16);
        weights.LoadInto(backbone);
        backbone.eval();

        // Independent computation of block1_conv1 (3x3, padding 1) straight from the Keras H,W,in,out kernel.
        const int size = 8;
        var generator = new Random(3);
        var input = new float[3 * size * size];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)generator.NextDouble() * 2 - 1;
        }

        var (kernel, bias) = values["block1_conv1"];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var conv = backbone.GetBlockModules(0)[0];
        var ours = conv.call(tensor(input, new long[] { 1, 3, size, size }));
        var actual = ours.data<float>().ToArray();
        double worst = 0;
        for (int o = 0; o < 64; o++)
        {
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    double sum = bias[o];
                    for (int dy = 0; dy < 3; dy++)
                    {
                        for (int dx = 0; dx < 3; dx++)
                        {
                            int yy = y + dy - 1, xx = x + dx - 1;
                            if (yy < 0 || yy >= size || xx < 0 || xx >= size)
                            {
                                continue;
                            }

                            for (int c = 0; c < 3; c++)
                            {
                                sum += kernel[((dy * 3 + dx) * 3 + c) * 64 + o] * input[(c * size + yy) * size + xx];
                            }
                        }
                    }

                    worst = Math.Max(worst, Math.Abs(sum - actual[(o * size + y) * size + x]));
                }
            }
        }

        Assert.True(worst < 1e-5, $"max abs difference {worst:G3}");

        // The last convolution (block5_conv3 = features.28): out,in,H,W = H,W,in,out transposed.
        var state = backbone.state_dict();
        var (k28, b28) = values["block5_conv3"];
        var w28 = state["features.28.weight"];
        Assert.Equal(new long[] { 512, 512, 3, 3 }, w28.shape);
        foreach (var (o, i, h, w) in new[] { (0, 0, 0, 0), (511, 3, 2, 1), (17, 400, 1, 2) })
        {
            Assert.Equal(k28[((h * 3 + w) * 512 + i) * 512 + o], w28[o, i, h, w].item<float>());
        }

        Assert.Equal(b28[300], state["features.28.bias"][300].item<float>());
    }

    [Fact]
    public void LoadInto_Vgg16BnFromPlainKerasFile_ThrowsMismatchListingBatchNorm()
    {
        string path = Path.Combine(folder, "vgg16.h5");
        WriteKeras2(path, fullModel: false, seed: 1);
        using var backbone = BackboneModule.Create(BackboneCatalog.Vgg16Bn);
        var error = Assert.Throws<WeightsMismatchException>(() => new KerasH5Weights(path).LoadInto(backbone));
        Assert.Contains("features.1.running_mean", error.MissingKeys);
    }

    [Fact]
    public void ReadLayers_NotKeras_ThrowsInvalidData()
    {
        string path = Path.Combine(folder, "plain.h5");
        new H5File { ["data"] = new H5Dataset(new float[4]) }.Write(path);
        Assert.Throws<InvalidDataException>(() => new KerasH5Weights(path).ReadLayers());
    }
}
