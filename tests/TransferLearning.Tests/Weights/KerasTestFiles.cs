using System.Text.Json;
using PureHDF;
using TransferLearning.Backbones;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Weights;

/// <summary>One array of a Keras layer: its Keras weight name (kernel, gamma, ...), Keras shape and values.</summary>
internal sealed record KerasArray(string Name, ulong[] Shape, float[] Values);

/// <summary>A Keras layer with weights.</summary>
internal sealed record KerasLayerWeights(string Name, KerasLayerKind Kind, KerasArray[] Arrays);

/// <summary>
/// Writes seeded random weights for a backbone's Keras layers in the layouts Keras writes: Keras 2 weights-only and
/// full-model files (layer names), Keras 3 <c>.weights.h5</c> files (groups named after the layer class), and a raw
/// float32 file with a JSON manifest for the TensorFlow.js reference (tests/keras-parity/parity.js).
/// </summary>
internal static class KerasTestFiles
{
    /// <summary>Random weights for every Keras layer of <paramref name="info"/>, shaped as Keras stores them.</summary>
    public static List<KerasLayerWeights> RandomWeights(BackboneInfo info, int seed)
    {
        var layers = info.KerasLayers ?? throw new ArgumentException($"{info.Name} has no Keras layers.", nameof(info));
        var random = new Random(seed);
        float Uniform(double limit) => (float)(((random.NextDouble() * 2) - 1) * limit);
        float[] Fill(ulong count, Func<float> next)
        {
            var values = new float[count];
            for (ulong i = 0; i < count; i++)
            {
                values[i] = next();
            }

            return values;
        }

        using var backbone = BackboneModule.Create(info);
        var state = backbone.state_dict();
        var result = new List<KerasLayerWeights>();
        foreach (var layer in layers)
        {
            var arrays = new List<KerasArray>();
            if (layer.Kind == KerasLayerKind.BatchNormalization)
            {
                ulong c = (ulong)state[layer.Key + ".weight"].shape[0];
                arrays.Add(new KerasArray("gamma", new[] { c }, Fill(c, () => 0.8f + Uniform(0.3))));
                arrays.Add(new KerasArray("beta", new[] { c }, Fill(c, () => Uniform(0.2))));
                arrays.Add(new KerasArray("moving_mean", new[] { c }, Fill(c, () => Uniform(0.2))));
                arrays.Add(new KerasArray("moving_variance", new[] { c }, Fill(c, () => 1f + Uniform(0.5))));
            }
            else
            {
                var w = state[layer.Key + ".weight"].shape; // out, in/groups, H, W
                bool depthwise = layer.Kind == KerasLayerKind.DepthwiseConv2D;
                ulong[] shape = depthwise
                    ? new[] { (ulong)w[2], (ulong)w[3], (ulong)w[0], 1UL }
                    : new[] { (ulong)w[2], (ulong)w[3], (ulong)w[1], (ulong)w[0] };
                double limit = Math.Sqrt(6.0 / (w[1] * w[2] * w[3]));
                arrays.Add(new KerasArray(depthwise ? "depthwise_kernel" : "kernel", shape, Fill(shape.Aggregate(1UL, (a, d) => a * d), () => Uniform(limit))));
                if (state.ContainsKey(layer.Key + ".bias"))
                {
                    ulong o = (ulong)w[0];
                    arrays.Add(new KerasArray("bias", new[] { o }, Fill(o, () => Uniform(0.1))));
                }
            }

            result.Add(new KerasLayerWeights(layer.Name, layer.Kind, arrays.ToArray()));
        }

        return result;
    }

    /// <summary>Keras 2 layout: root (or <c>model_weights</c>) attribute <c>layer_names</c>, <c>&lt;layer&gt;/&lt;layer&gt;/kernel:0</c>.</summary>
    /// <param name="path">Destination.</param>
    /// <param name="layers">Layers with weights.</param>
    /// <param name="fullModel">Write a <c>model.save</c> file (under <c>model_weights</c>) with an old classifier.</param>
    /// <param name="top">The old classifier's layers (written when <paramref name="fullModel"/>).</param>
    public static void WriteKeras2(string path, IEnumerable<KerasLayerWeights> layers, bool fullModel, IEnumerable<KerasLayerWeights>? top = null)
    {
        var root = new H5File();
        H5Group weights = root;
        if (fullModel)
        {
            weights = new H5Group();
            root["model_weights"] = weights;
            root.Attributes["keras_version"] = "2.13.1";
            root.Attributes["backend"] = "tensorflow";
        }

        var names = new List<string> { "input_1" };
        weights["input_1"] = new H5Group { Attributes = new Dictionary<string, object> { ["weight_names"] = Array.Empty<double>() } };
        foreach (var layer in layers.Concat(fullModel ? top ?? Array.Empty<KerasLayerWeights>() : Array.Empty<KerasLayerWeights>()))
        {
            var inner = new H5Group();
            foreach (var array in layer.Arrays)
            {
                inner[array.Name + ":0"] = new H5Dataset(array.Values, fileDims: array.Shape);
            }

            weights[layer.Name] = new H5Group
            {
                Attributes = new Dictionary<string, object> { ["weight_names"] = layer.Arrays.Select(a => $"{layer.Name}/{a.Name}:0").ToArray() },
                [layer.Name] = inner,
            };
            names.Add(layer.Name);
        }

        weights.Attributes["layer_names"] = names.ToArray();
        root.Write(path);
    }

    /// <summary>
    /// Keras 3 <c>.weights.h5</c> layout: <c>layers/&lt;class&gt;[_i]/vars/&lt;j&gt;</c>, the i-th group of a class being
    /// the i-th layer of that class in <c>model.layers</c>, with empty groups for layers without weights.
    /// </summary>
    public static void WriteKeras3(string path, IEnumerable<KerasLayerWeights> layers, IEnumerable<KerasLayerWeights>? top = null)
    {
        var groups = new H5Group
        {
            ["input_layer"] = new H5Group { ["vars"] = new H5Group() },
            ["re_lu"] = new H5Group { ["vars"] = new H5Group() },
        };
        var counters = new Dictionary<KerasLayerKind, int>();
        foreach (var layer in layers.Concat(top ?? Array.Empty<KerasLayerWeights>()))
        {
            string kind = layer.Kind switch
            {
                KerasLayerKind.Conv2D => "conv2d",
                KerasLayerKind.DepthwiseConv2D => "depthwise_conv2d",
                KerasLayerKind.BatchNormalization => "batch_normalization",
                _ => "dense",
            };
            int n = counters.GetValueOrDefault(layer.Kind);
            counters[layer.Kind] = n + 1;
            var vars = new H5Group();
            for (int j = 0; j < layer.Arrays.Length; j++)
            {
                vars[j.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new H5Dataset(layer.Arrays[j].Values, fileDims: layer.Arrays[j].Shape);
            }

            groups[n == 0 ? kind : $"{kind}_{n}"] = new H5Group { ["vars"] = vars };
        }

        new H5File { ["layers"] = groups, ["vars"] = new H5Group() }.Write(path);
    }

    /// <summary>A dense layer standing in for the old classifier of a full-model file.</summary>
    public static KerasLayerWeights Dense(string name, int inputs, int outputs) => new(name, KerasLayerKind.Dense, new[]
    {
        new KerasArray("kernel", new[] { (ulong)inputs, (ulong)outputs }, new float[inputs * outputs]),
        new KerasArray("bias", new[] { (ulong)outputs }, new float[outputs]),
    });

    /// <summary>Writes the weights as one raw float32 file plus the layer list of a TensorFlow.js manifest; returns the manifest's "layers".</summary>
    public static object[] WriteRaw(string file, IEnumerable<KerasLayerWeights> layers)
    {
        var manifest = new List<object>();
        long offset = 0;
        using var stream = File.Create(file);
        foreach (var layer in layers)
        {
            var arrays = new List<object>();
            foreach (var array in layer.Arrays)
            {
                stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(array.Values.AsSpan()));
                arrays.Add(new { shape = array.Shape, offset });
                offset += array.Values.Length;
            }

            manifest.Add(new { name = layer.Name, arrays });
        }

        return manifest.ToArray();
    }

    /// <summary>Writes a float tensor as raw float32 in NHWC order (TensorFlow's layout).</summary>
    public static void WriteNhwc(string file, Tensor nchw)
    {
        using var scope = NewDisposeScope();
        var data = nchw.permute(0, 2, 3, 1).contiguous().data<float>().ToArray();
        File.WriteAllBytes(file, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
    }

    /// <summary>Serialises a manifest.</summary>
    public static void WriteJson(string file, object value) => File.WriteAllText(file, JsonSerializer.Serialize(value));
}
