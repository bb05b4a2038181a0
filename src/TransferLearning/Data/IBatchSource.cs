namespace TransferLearning.Data;

/// <summary>
/// Anything that yields batches of preprocessed images for one epoch: the trainer's view of a data loader.
/// </summary>
public interface IBatchSource
{
    /// <summary>Class names, in label order.</summary>
    IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of samples per epoch (before any bad file is skipped).</summary>
    int SampleCount { get; }

    /// <summary>Number of batches per epoch.</summary>
    int BatchesPerEpoch { get; }

    /// <summary>
    /// Whether every epoch yields the same images with the same pixels (no random augmentation), so that features
    /// computed from them can be cached.
    /// </summary>
    bool IsDeterministic { get; }

    /// <summary>
    /// Identity of the data and transform (sample paths, sizes and modification times, labels, preprocessing and
    /// augmentation settings), for feature-cache keys.
    /// </summary>
    string Fingerprint { get; }

    /// <summary>Yields the batches of one epoch; the caller disposes each batch. The order depends only on the seed and <paramref name="epoch"/>.</summary>
    /// <param name="epoch">Zero-based epoch number (selects the shuffle order and augmentations).</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    IEnumerable<ImageBatch> GetBatches(int epoch, CancellationToken cancellationToken = default);
}
