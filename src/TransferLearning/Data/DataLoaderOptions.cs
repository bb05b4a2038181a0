namespace TransferLearning.Data;

/// <summary>Options of a <see cref="DataLoader"/>.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Samples per batch. Default 32.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Whether each epoch visits the samples in a new random order (derived from <see cref="Seed"/> and the epoch). Default <see langword="true"/>; use <see langword="false"/> for validation and test data.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seed of the shuffle and of every sample's augmentation. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Number of decoding threads; 0 decodes on the enumerating thread (no prefetch). The batches do not depend on it.
    /// Default: half the processor count, at least 1, at most 8.
    /// </summary>
    public int Workers { get; init; } = Math.Clamp(Environment.ProcessorCount / 2, 1, 8);

    /// <summary>Largest number of batches prepared ahead of the consumer (bounds memory: about PrefetchBatches x BatchSize x 3 x S x S floats). Default 2.</summary>
    public int PrefetchBatches { get; init; } = 2;

    /// <summary>Whether the last, smaller batch of an epoch is dropped. Default <see langword="false"/>.</summary>
    public bool DropLast { get; init; }

    /// <summary>What to do with files that cannot be decoded. Default <see cref="BadFilePolicy.Skip"/>.</summary>
    public BadFilePolicy BadFilePolicy { get; init; } = BadFilePolicy.Skip;

    /// <summary>Decoding options; <see langword="null"/>: <see cref="ImageTransform.DecodeOptions"/> (reduced decoding to about the resize size).</summary>
    public ImageDecodeOptions? Decode { get; init; }

    /// <summary>Checks the values; throws <see cref="ArgumentOutOfRangeException"/> when one is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(Workers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Workers, 256);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PrefetchBatches);
        if (!Enum.IsDefined(BadFilePolicy))
        {
            throw new ArgumentOutOfRangeException(nameof(BadFilePolicy));
        }

        Decode?.Validate();
    }
}
