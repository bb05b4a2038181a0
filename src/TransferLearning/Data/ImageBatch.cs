using static TorchSharp.torch;

namespace TransferLearning.Data;

/// <summary>A batch of preprocessed images with their labels. Owns its tensors: dispose it when done.</summary>
public sealed class ImageBatch : IDisposable
{
    /// <summary>Creates a batch; the batch takes ownership of the tensors.</summary>
    /// <param name="images">Images <c>[N, 3, S, S]</c>, float32.</param>
    /// <param name="labels">Labels <c>[N]</c>, int64.</param>
    /// <param name="indices">Index of each sample in its dataset.</param>
    public ImageBatch(Tensor images, Tensor labels, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(indices);
        if (images.shape[0] != labels.shape[0] || labels.shape[0] != indices.Count)
        {
            throw new ArgumentException($"Batch sizes differ: {images.shape[0]} images, {labels.shape[0]} labels, {indices.Count} indices.");
        }

        Images = images;
        Labels = labels;
        Indices = indices;
    }

    /// <summary>Images <c>[N, 3, S, S]</c>, float32.</summary>
    public Tensor Images { get; }

    /// <summary>Labels <c>[N]</c>, int64.</summary>
    public Tensor Labels { get; }

    /// <summary>Index of each sample in its dataset.</summary>
    public IReadOnlyList<int> Indices { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Indices.Count;

    /// <inheritdoc/>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
