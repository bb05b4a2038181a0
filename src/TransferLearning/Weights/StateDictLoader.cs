using TransferLearning.Backbones;
using static TorchSharp.torch;

namespace TransferLearning.Weights;

/// <summary>
/// Copies a name -> tensor dictionary into a backbone after checking every key and shape: all or nothing.
/// </summary>
internal static class StateDictLoader
{
    private const string BatchCounterSuffix = "num_batches_tracked";

    /// <summary>Checks <paramref name="source"/> against the backbone's state dict, then copies it in.</summary>
    /// <param name="backbone">Full, untruncated base.</param>
    /// <param name="source">Tensors by torchvision key. Keys under the backbone's classifier prefixes are skipped.</param>
    /// <param name="sourceName">Name of the file, for errors.</param>
    /// <param name="skipClassifier">Skip keys under <see cref="BackboneInfo.ClassifierKeyPrefixes"/>.</param>
    /// <returns>Number of tensors copied.</returns>
    /// <exception cref="WeightsMismatchException">A key is missing, unexpected or mis-shaped.</exception>
    public static int Load(BackboneModule backbone, IReadOnlyDictionary<string, Tensor> source, string sourceName, bool skipClassifier = true)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        ArgumentNullException.ThrowIfNull(source);
        var target = backbone.state_dict();
        var prefixes = skipClassifier ? backbone.Info.ClassifierKeyPrefixes : Array.Empty<string>();
        var missing = new List<string>();
        var unexpected = new List<string>();
        var shapes = new List<ShapeMismatch>();
        foreach (var (key, tensor) in source)
        {
            if (prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal)))
            {
                continue;
            }

            if (!target.TryGetValue(key, out var t))
            {
                unexpected.Add(key);
            }
            else if (!t.shape.SequenceEqual(tensor.shape))
            {
                shapes.Add(new ShapeMismatch(key, t.shape, tensor.shape));
            }
        }

        foreach (var key in target.Keys)
        {
            // BatchNorm's step counter only matters for momentum=None; ONNX and Keras files do not carry it.
            if (!source.ContainsKey(key) && !key.EndsWith(BatchCounterSuffix, StringComparison.Ordinal))
            {
                missing.Add(key);
            }
        }

        if (missing.Count + unexpected.Count + shapes.Count > 0)
        {
            throw new WeightsMismatchException(sourceName, backbone.Info.Name, missing, unexpected, shapes);
        }

        int copied = 0;
        using var noGrad = no_grad();
        foreach (var (key, t) in target)
        {
            if (source.TryGetValue(key, out var value))
            {
                using var converted = value.to(t.dtype, t.device);
                t.copy_(converted);
                copied++;
            }
        }

        return copied;
    }

    /// <summary>Disposes every tensor of a dictionary.</summary>
    /// <param name="tensors">The tensors.</param>
    public static void DisposeAll(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        foreach (var (_, t) in tensors)
        {
            t.Dispose();
        }
    }
}
