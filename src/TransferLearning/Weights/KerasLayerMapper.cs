using System.Globalization;
using System.Text.RegularExpressions;
using TransferLearning.Backbones;
using static TorchSharp.torch;

namespace TransferLearning.Weights;

/// <summary>
/// Maps the layers of a Keras <c>.h5</c> file onto a backbone with a Keras layer list
/// (<see cref="BackboneInfo.KerasLayers"/>), checking every layer and array: Keras 2 files (and Keras 3 files whose
/// groups carry layer names) by layer name, Keras 3 <c>.weights.h5</c> files (groups named after the layer class:
/// <c>conv2d</c>, <c>conv2d_1</c>, <c>batch_normalization_7</c>, ...) by class and position in <c>model.layers</c>.
/// Kernels are transposed from Keras' (H, W, in, out) to PyTorch's (out, in, H, W); depthwise kernels (H, W, in,
/// multiplier) to (in * multiplier, 1, H, W). Missing, unexpected and mis-shaped arrays are reported together, in Keras
/// terms (layer name, array name, Keras shape), and nothing is loaded.
/// </summary>
internal static partial class KerasLayerMapper
{
    private static readonly Dictionary<KerasLayerKind, string> Keras3ClassNames = new()
    {
        [KerasLayerKind.Conv2D] = "conv2d",
        [KerasLayerKind.DepthwiseConv2D] = "depthwise_conv2d",
        [KerasLayerKind.BatchNormalization] = "batch_normalization",
        [KerasLayerKind.Dense] = "dense",
    };

    public static void Load(
        BackboneModule backbone,
        IReadOnlyList<KerasLayer> layers,
        IReadOnlyList<KerasLayer> top,
        IReadOnlyList<(string Layer, (string Name, ulong[] Shape, float[] Values)[] Weights)> file,
        bool keras3,
        string fileName)
    {
        var missing = new List<string>();
        var unexpected = new List<string>();
        var shapes = new List<ShapeMismatch>();
        var assigned = Assign(layers, top, file, keras3, unexpected);

        // Keras 2 names each array (kernel, gamma, ...); Keras 3 numbers them (vars/0, vars/1, ...).
        bool byName = !keras3;
        var target = backbone.state_dict();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var covered = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var layer in layers)
            {
                if (layer.Key is null)
                {
                    continue;
                }

                var roles = Roles(layer.Kind);
                foreach (var role in roles)
                {
                    covered.Add(layer.Key + "." + role.Suffix);
                }

                if (!assigned.TryGetValue(layer.Name, out var source))
                {
                    if (roles.Any(r => target.ContainsKey(layer.Key + "." + r.Suffix)))
                    {
                        missing.Add($"{layer.Name} (Keras {layer.Kind} layer, {layer.Key}.*)");
                    }

                    continue;
                }

                var found = new HashSet<string>(StringComparer.Ordinal);
                for (int i = 0; i < source.Weights.Length; i++)
                {
                    var (arrayName, shape, values) = source.Weights[i];
                    var role = byName
                        ? roles.FirstOrDefault(r => r.KerasNames.Contains(arrayName, StringComparer.Ordinal))
                        : i < roles.Length ? roles[i] : null;
                    string label = $"{layer.Name}/{(role is null || byName ? arrayName : role.KerasNames[0])}";
                    if (role is null)
                    {
                        unexpected.Add($"{label} (in '{source.FileLayer}')");
                        continue;
                    }

                    string key = layer.Key + "." + role.Suffix;
                    found.Add(role.Suffix);
                    if (!target.TryGetValue(key, out var t))
                    {
                        unexpected.Add($"{label} (the backbone's {layer.Key} has no {role.Suffix})");
                        continue;
                    }

                    var expectedKeras = KerasShape(layer.Kind, role, t.shape);
                    if (!expectedKeras.SequenceEqual(shape.Select(d => (long)d)))
                    {
                        shapes.Add(new ShapeMismatch($"{label} ({key})", expectedKeras, shape.Select(d => (long)d).ToArray()));
                        continue;
                    }

                    tensors[key] = ToTorch(layer.Kind, role, shape, values, t.shape);
                }

                foreach (var role in roles)
                {
                    if (!found.Contains(role.Suffix) && target.ContainsKey(layer.Key + "." + role.Suffix))
                    {
                        missing.Add($"{layer.Name}/{role.KerasNames[0]} ({layer.Key}.{role.Suffix})");
                    }
                }
            }

            foreach (var key in target.Keys)
            {
                if (!covered.Contains(key) && !key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                {
                    missing.Add($"{key} (no Keras layer maps to it)");
                }
            }

            if (missing.Count + unexpected.Count + shapes.Count > 0)
            {
                throw new WeightsMismatchException(fileName, backbone.Info.Name, missing, unexpected, shapes);
            }

            StateDictLoader.Load(backbone, tensors, fileName);
        }
        finally
        {
            StateDictLoader.DisposeAll(tensors);
        }
    }

    private static Dictionary<string, (string FileLayer, (string Name, ulong[] Shape, float[] Values)[] Weights)> Assign(
        IReadOnlyList<KerasLayer> layers,
        IReadOnlyList<KerasLayer> top,
        IReadOnlyList<(string Layer, (string Name, ulong[] Shape, float[] Values)[] Weights)> file,
        bool keras3,
        List<string> unexpected)
    {
        var assigned = new Dictionary<string, (string, (string, ulong[], float[])[])>(StringComparer.Ordinal);
        var fileByName = new Dictionary<string, (string, ulong[], float[])[]>(StringComparer.Ordinal);
        foreach (var (layer, weights) in file)
        {
            fileByName.TryAdd(layer, weights);
        }

        if (!keras3 || layers.Any(l => fileByName.ContainsKey(l.Name)))
        {
            var known = new HashSet<string>(layers.Select(l => l.Name).Concat(top.Select(l => l.Name)), StringComparer.Ordinal);
            foreach (var layer in layers)
            {
                if (fileByName.TryGetValue(layer.Name, out var weights))
                {
                    assigned[layer.Name] = (layer.Name, weights);
                }
            }

            unexpected.AddRange(file.Where(l => !known.Contains(l.Layer)).Select(l => $"{l.Layer} (Keras layer not in this backbone)"));
            return assigned;
        }

        // Keras 3 .weights.h5: the i-th group of a class is the i-th layer of that class in model.layers; the old
        // classifier's layers come after the base's.
        var byClass = new Dictionary<KerasLayerKind, List<(int Index, string Group)>>();
        foreach (var (group, _) in file)
        {
            var match = Keras3Group().Match(group);
            var kind = match.Success ? Keras3ClassNames.FirstOrDefault(k => k.Value == match.Groups[1].Value) : default;
            if (!match.Success || kind.Value is null)
            {
                unexpected.Add($"{group} (Keras 3 group of an unknown layer class)");
                continue;
            }

            int index = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 0;
            if (!byClass.TryGetValue(kind.Key, out var list))
            {
                byClass[kind.Key] = list = new List<(int, string)>();
            }

            list.Add((index, group));
        }

        foreach (var (kind, groups) in byClass)
        {
            var expected = layers.Where(l => l.Kind == kind).Concat(top.Where(l => l.Kind == kind)).ToArray();
            var ordered = groups.OrderBy(g => g.Index).ToArray();
            for (int i = 0; i < ordered.Length; i++)
            {
                if (i >= expected.Length)
                {
                    unexpected.Add($"{ordered[i].Group} (one more {kind} layer than the Keras model has)");
                }
                else if (expected[i].Key is not null)
                {
                    assigned[expected[i].Name] = (ordered[i].Group, fileByName[ordered[i].Group]);
                }
            }
        }

        return assigned;
    }

    private sealed record Role(string Suffix, string[] KerasNames);

    private static readonly Role[] ConvRoles = { new("weight", new[] { "kernel", "depthwise_kernel" }), new("bias", new[] { "bias" }) };

    private static readonly Role[] BatchNormRoles =
    {
        new("weight", new[] { "gamma" }), new("bias", new[] { "beta" }), new("running_mean", new[] { "moving_mean" }), new("running_var", new[] { "moving_variance" }),
    };

    private static Role[] Roles(KerasLayerKind kind) => kind == KerasLayerKind.BatchNormalization ? BatchNormRoles : ConvRoles;

    /// <summary>The shape Keras stores for a backbone tensor.</summary>
    private static long[] KerasShape(KerasLayerKind kind, Role role, long[] torchShape)
    {
        if (role.Suffix != "weight" || torchShape.Length != 4)
        {
            return torchShape;
        }

        return kind == KerasLayerKind.DepthwiseConv2D
            ? new[] { torchShape[2], torchShape[3], torchShape[0] / torchShape[1], torchShape[1] }
            : new[] { torchShape[2], torchShape[3], torchShape[1], torchShape[0] };
    }

    private static Tensor ToTorch(KerasLayerKind kind, Role role, ulong[] shape, float[] values, long[] torchShape)
    {
        using var scope = NewDisposeScope();
        var t = tensor(values, shape.Select(d => (long)d).ToArray());
        if (role.Suffix == "weight" && shape.Length == 4)
        {
            // Conv2D: (H, W, in, out) -> (out, in, H, W); DepthwiseConv2D: (H, W, in, m) -> (in, m, H, W) -> (in * m, 1, H, W).
            t = kind == KerasLayerKind.DepthwiseConv2D
                ? t.permute(2, 3, 0, 1).reshape(torchShape)
                : t.permute(3, 2, 0, 1);
        }

        return t.contiguous().MoveToOuterDisposeScope();
    }

    [GeneratedRegex(@"^(conv2d|depthwise_conv2d|batch_normalization|dense)(?:_(\d+))?$")]
    private static partial Regex Keras3Group();
}
