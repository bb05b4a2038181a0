using TransferLearning.Backbones;

namespace TransferLearning.Weights;

/// <summary>
/// The ImageNet weights of whichever backbone they are loaded into, resolved when loading: for <c>resnet18_cntk</c>
/// the ML.NET <c>ResNet18.onnx</c> found offline (application folder, weight cache, NuGet package folder); for the
/// torchvision backbones the catalogue's file from the <see cref="WeightStore"/> (cached, else downloaded and verified).
/// </summary>
public sealed class ImageNetWeights : IWeightsSource
{
    private readonly WeightStore? store;

    /// <summary>Creates the source.</summary>
    /// <param name="store">The weight store; default <see cref="WeightStore.Default"/> (resolved when loading).</param>
    /// <param name="progress">Receives download progress; optional.</param>
    public ImageNetWeights(WeightStore? store = null, IProgress<DownloadProgress>? progress = null)
    {
        this.store = store;
        Progress = progress;
    }

    /// <summary>The store used (the default store unless one was given).</summary>
    public WeightStore Store => store ?? WeightStore.Default;

    /// <summary>Receives download progress, or <see langword="null"/>.</summary>
    public IProgress<DownloadProgress>? Progress { get; }

    /// <inheritdoc/>
    public string Description => "imagenet";

    /// <summary>
    /// "imagenet": together with the backbone name it identifies the file (the catalogue lists one ImageNet file per
    /// backbone), so feature caches key on both.
    /// </summary>
    public string Fingerprint => "imagenet";

    /// <summary>The catalogue's ImageNet entry for a backbone.</summary>
    /// <param name="info">The backbone.</param>
    /// <exception cref="NotSupportedException">The catalogue lists no ImageNet weights for it.</exception>
    public static PretrainedWeightsInfo GetInfo(BackboneInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.Pretrained.FirstOrDefault(p => string.Equals(p.Name, "imagenet", StringComparison.OrdinalIgnoreCase))
            ?? throw new NotSupportedException($"The catalogue lists no ImageNet weights for backbone '{info.Name}'.");
    }

    /// <summary>The concrete source for a backbone (locating or downloading the file).</summary>
    /// <param name="info">The backbone.</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    public IWeightsSource Resolve(BackboneInfo info, CancellationToken cancellationToken = default)
    {
        var pretrained = GetInfo(info);
        if (pretrained.Format == WeightsFormat.Onnx && pretrained.Url is null)
        {
            return OnnxResNetWeights.Locate(Store.CacheFolder);
        }

        string path = Store.Resolve(pretrained, Progress, cancellationToken);
        return Weights.FromFile(path, pretrained.Format);
    }

    /// <inheritdoc/>
    public void LoadInto(BackboneModule backbone, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        Resolve(backbone.Info, cancellationToken).LoadInto(backbone, cancellationToken);
    }
}
