using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TransferLearning.Data;
using static TorchSharp.torch;

namespace TransferLearning.Training;

/// <summary>
/// The key of a feature cache: backbone, truncation, input size, pooling, initial-weights fingerprint, a SHA-256 of the
/// base's current parameters and buffers (so fine-tuning, loading other weights or any in-place change gives a new key)
/// and the data source's <see cref="IBatchSource.Fingerprint"/> (data and transform).
/// </summary>
public static class FeatureCacheKey
{
    /// <summary>Computes the key (hashing the base costs about one pass over its weights).</summary>
    /// <param name="model">The model.</param>
    /// <param name="source">The data.</param>
    /// <returns>A lowercase hex SHA-256.</returns>
    public static string Compute(TransferModel model, IBatchSource source)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(source);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var spec = model.Spec;
        string header = string.Join('\n',
            "tl-feature-cache-v1",
            spec.Backbone,
            spec.TruncateAfter ?? "",
            spec.InputSize.ToString(CultureInfo.InvariantCulture),
            spec.Head.Pooling.ToString(),
            model.FeatureSize.ToString(CultureInfo.InvariantCulture),
            spec.WeightsFingerprint,
            source.Fingerprint);
        hash.AppendData(Encoding.UTF8.GetBytes(header));
        AppendBase(hash, model);
        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }

    private static void AppendBase(IncrementalHash hash, TransferModel model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, t) in model.Base.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            var c = t.detach().cpu().contiguous();
            hash.AppendData(c.bytes);
        }
    }
}
