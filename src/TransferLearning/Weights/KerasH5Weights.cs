using System.Text.RegularExpressions;
using PureHDF;
using TransferLearning.Backbones;
using static TorchSharp.torch;

namespace TransferLearning.Weights;

/// <summary>
/// Keras HDF5 weights (<c>.h5</c>) read with PureHDF. Backbones with a Keras layer list
/// (<see cref="BackboneInfo.KerasLayers"/>: <c>vgg16</c>, <c>keras_mobilenet*</c>, <c>keras_mobilenet_v2*</c>,
/// <c>keras_resnet50</c>) are mapped layer by layer by <see cref="KerasLayerMapper"/>, every layer and shape checked.
/// Other backbones made of plain convolutions are mapped by convolution order. Layouts: Keras 2
/// weights-only files (root attribute <c>layer_names</c>, groups <c>&lt;layer&gt;/&lt;layer&gt;/kernel:0</c> and
/// <c>bias:0</c>, each layer's <c>weight_names</c> attribute), Keras 2 full-model files (the same under
/// <c>model_weights/</c>) and Keras 3 files (<c>layers/&lt;name&gt;/vars/0</c> kernel, <c>vars/1</c> bias). The i-th
/// Keras convolution (4-d kernel, H,W,in,out) becomes the backbone's i-th convolution (<c>features.N.weight</c>,
/// out,in,H,W). Dense layers (the old classifier of <c>include_top</c> files) are skipped. The matching preprocessing is
/// Keras' "caffe" mode (<see cref="Data.ImagePreprocessing.Caffe"/>): build the model with <c>WithPreprocessing(ImagePreprocessing.Caffe)</c>.
/// </summary>
public sealed partial class KerasH5Weights : WeightsFile
{
    /// <summary>Creates a source for a file.</summary>
    /// <param name="path">The <c>.h5</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public KerasH5Weights(string path)
        : base(path)
    {
    }

    /// <inheritdoc/>
    public override string Description => $"Keras HDF5 weights ({System.IO.Path.GetFileName(Path)})";

    /// <summary>The layers with weights, in model order, each with its arrays (shape, values) in Keras order (kernel, bias).</summary>
    /// <exception cref="InvalidDataException">The file is not in a Keras layout.</exception>
    public IReadOnlyList<(string Layer, IReadOnlyList<(ulong[] Shape, float[] Values)> Weights)> ReadLayers() =>
        ReadNamedLayers().Layers.Select(l => (l.Layer, (IReadOnlyList<(ulong[], float[])>)l.Weights.Select(w => (w.Shape, w.Values)).ToArray())).ToArray();

    /// <summary>
    /// The layers with weights and each array's name: the last part of the Keras 2 weight name without <c>:0</c>
    /// (<c>kernel</c>, <c>depthwise_kernel</c>, <c>gamma</c>, <c>moving_variance</c>) or, in Keras 3 files, the
    /// variable's index (<c>0</c>, <c>1</c>, ...). <c>Keras3</c> is true for Keras 3 <c>layers/&lt;name&gt;/vars</c> files.
    /// </summary>
    private (bool Keras3, List<(string Layer, (string Name, ulong[] Shape, float[] Values)[] Weights)> Layers) ReadNamedLayers()
    {
        string name = System.IO.Path.GetFileName(Path);
        long length = new FileInfo(Path).Length;
        if (length == 0)
        {
            throw new InvalidDataException($"'{name}' is empty (0 bytes), not a Keras HDF5 weights file.");
        }

        try
        {
            return ReadLayersUnchecked();
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException and not OperationCanceledException)
        {
            // PureHDF's own words ("The file is not a valid HDF 5 file", "The file is too small") do not name the file.
            throw new InvalidDataException($"'{name}' ({length:N0} bytes) could not be read as Keras HDF5 weights: {e.Message.TrimEnd('.')}. It may be damaged, truncated or of another format.", e);
        }
    }

    private (bool Keras3, List<(string Layer, (string Name, ulong[] Shape, float[] Values)[] Weights)> Layers) ReadLayersUnchecked()
    {
        using var file = H5File.OpenRead(Path);
        var layers = new List<(string, (string, ulong[], float[])[])>();
        if (file.LinkExists("layers") && !file.AttributeExists("layer_names"))
        {
            // Keras 3: layers/<name>/vars/<i>.
            var root = file.Group("layers");
            var names = root.Children().Select(c => c.Name).OrderBy(n => n, NaturalComparer.Instance).ToArray();
            foreach (var name in names)
            {
                var group = root.Group(name);
                if (!group.LinkExists("vars"))
                {
                    continue;
                }

                var vars = group.Group("vars");
                var arrays = vars.Children().Select(c => c.Name).OrderBy(n => n, NaturalComparer.Instance)
                    .Select(n => Named(n, ReadFloats(vars.Dataset(n), name + "/vars/" + n))).ToArray();
                if (arrays.Length > 0)
                {
                    layers.Add((name, arrays));
                }
            }

            return (true, layers);
        }

        IH5Group weights = file.LinkExists("model_weights") ? file.Group("model_weights") : file;
        if (!weights.AttributeExists("layer_names"))
        {
            throw new InvalidDataException($"'{System.IO.Path.GetFileName(Path)}' is not a Keras weights file: no 'layer_names' attribute at the root or under 'model_weights', and no Keras 3 'layers' group.");
        }

        foreach (var layer in ReadStrings(weights.Attribute("layer_names")))
        {
            var group = weights.Group(layer);
            var weightNames = group.AttributeExists("weight_names") ? ReadStrings(group.Attribute("weight_names")) : Array.Empty<string>();
            if (weightNames.Length == 0)
            {
                continue;
            }

            layers.Add((layer, weightNames.Select(w => Named(ShortName(w), ReadFloats(group.Dataset(w), layer + "/" + w))).ToArray()));
        }

        return (false, layers);
    }

    private static (string, ulong[], float[]) Named(string name, (ulong[] Shape, float[] Values) array) => (name, array.Shape, array.Values);

    /// <summary>"conv1/kernel:0" -> "kernel".</summary>
    private static string ShortName(string weightName)
    {
        string last = weightName[(weightName.LastIndexOf('/') + 1)..];
        int colon = last.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? last : last[..colon];
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">The file is not a Keras weights file, or its convolutions do not line up with the backbone's.</exception>
    /// <exception cref="WeightsMismatchException">Shapes do not fit, or the backbone needs tensors the file lacks (BatchNorm); nothing is loaded.</exception>
    public override void LoadInto(BackboneModule backbone, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        cancellationToken.ThrowIfCancellationRequested();
        if (backbone.Info.KerasLayers is { } kerasLayers)
        {
            var (keras3, named) = ReadNamedLayers();
            cancellationToken.ThrowIfCancellationRequested();
            KerasLayerMapper.Load(backbone, kerasLayers, backbone.Info.KerasTopLayers, named, keras3, System.IO.Path.GetFileName(Path));
            return;
        }

        var layers = ReadLayers();
        cancellationToken.ThrowIfCancellationRequested();
        var target = backbone.state_dict();
        var convKeys = target.Where(kv => kv.Key.EndsWith(".weight", StringComparison.Ordinal) && kv.Value.dim() == 4)
            .Select(kv => kv.Key[..^".weight".Length]).ToArray();
        var convLayers = layers.Where(l => l.Weights.Count > 0 && l.Weights[0].Shape.Length == 4).ToArray();
        string fileName = System.IO.Path.GetFileName(Path);
        if (convLayers.Length != convKeys.Length)
        {
            throw new InvalidDataException(
                $"'{fileName}' has {convLayers.Length} convolution layers ({string.Join(", ", convLayers.Select(l => l.Layer).Take(20))}) but backbone '{backbone.Info.Name}' has {convKeys.Length}.");
        }

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            for (int i = 0; i < convKeys.Length; i++)
            {
                var (layer, arrays) = convLayers[i];
                var kernel = arrays[0];
                using (var hwio = tensor(kernel.Values, kernel.Shape.Select(d => (long)d).ToArray()))
                {
                    tensors[convKeys[i] + ".weight"] = hwio.permute(3, 2, 0, 1).contiguous();
                }

                if (arrays.Count > 1)
                {
                    var bias = arrays[1];
                    if (bias.Shape.Length != 1)
                    {
                        throw new InvalidDataException($"'{fileName}': layer '{layer}' has a second array of shape [{string.Join(",", bias.Shape)}], expected a 1-d bias.");
                    }

                    tensors[convKeys[i] + ".bias"] = tensor(bias.Values);
                }
            }

            StateDictLoader.Load(backbone, tensors, fileName);
        }
        finally
        {
            StateDictLoader.DisposeAll(tensors);
        }
    }

    private static (ulong[] Shape, float[] Values) ReadFloats(IH5Dataset dataset, string name)
    {
        if (dataset.Type.Class != H5DataTypeClass.FloatingPoint)
        {
            throw new InvalidDataException($"Keras weight '{name}' is not floating point ({dataset.Type.Class}).");
        }

        var shape = dataset.Space.Dimensions;
        float[] values = dataset.Type.Size == 4
            ? dataset.Read<float[]>()
            : dataset.Read<double[]>().Select(v => (float)v).ToArray();
        return (shape, values);
    }

    private static string[] ReadStrings(IH5Attribute attribute)
    {
        // Keras writes a zero-length float64 array for layers without weights.
        if (attribute.Type.Class != H5DataTypeClass.String && attribute.Type.Class != H5DataTypeClass.VariableLength)
        {
            ulong count = attribute.Space.Dimensions.Aggregate(1UL, (a, d) => a * d);
            if (attribute.Space.Dimensions.Length > 0 && count == 0)
            {
                return Array.Empty<string>();
            }

            throw new InvalidDataException($"Attribute '{attribute.Name}' is {attribute.Type.Class}, not a string list.");
        }

        return attribute.Space.Type == H5DataspaceType.Scalar ? new[] { attribute.Read<string>() } : attribute.Read<string[]>();
    }

    /// <summary>Orders "conv2d_2" before "conv2d_10".</summary>
    private sealed partial class NaturalComparer : IComparer<string>
    {
        public static NaturalComparer Instance { get; } = new();

        public int Compare(string? x, string? y)
        {
            var a = Parts().Split(x ?? "");
            var b = Parts().Split(y ?? "");
            for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                int c = long.TryParse(a[i], out long na) && long.TryParse(b[i], out long nb)
                    ? na.CompareTo(nb)
                    : string.CompareOrdinal(a[i], b[i]);
                if (c != 0)
                {
                    return c;
                }
            }

            return a.Length.CompareTo(b.Length);
        }

        [GeneratedRegex(@"(\d+)")]
        private static partial Regex Parts();
    }
}
