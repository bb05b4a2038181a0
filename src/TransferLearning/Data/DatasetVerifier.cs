namespace TransferLearning.Data;

/// <summary>
/// Decodes every image of a dataset once, before training, so that unreadable files are known up front: the counts a
/// run reports are the samples it really uses, a class whose every image is unreadable can be refused like an empty
/// class, and a validation set with no readable image is found before any training time is spent.
/// </summary>
public static class DatasetVerifier
{
    /// <summary>Decodes every sample (with <paramref name="decodeOptions"/>, as the loader will) and splits the dataset into readable samples and skipped files.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="decodeOptions">Decoding options; use the transform's <see cref="ImageTransform.DecodeOptions"/> so that the check sees what the loader will.</param>
    /// <param name="workers">Decoding threads (at least 1).</param>
    /// <param name="progress">Called with the number of files checked since the last call; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public static ReadableData Verify(ImageDataset dataset, ImageDecodeOptions decodeOptions, int workers = 1, Action<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(decodeOptions);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        decodeOptions.Validate();
        var errors = new BadFileEntry?[dataset.Count];
        System.Threading.Tasks.Parallel.For(
            0,
            dataset.Count,
            new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken },
            i =>
            {
                var path = dataset.Samples[i].Path;
                try
                {
                    ImageDecoder.Decode(path, decodeOptions).Dispose();
                }
                catch (ImageDecodeException e)
                {
                    errors[i] = new BadFileEntry(path, i, e.Reason, e.Message);
                }

                progress?.Invoke(1);
            });
        var good = Enumerable.Range(0, dataset.Count).Where(i => errors[i] is null);
        return new ReadableData(dataset.Subset(good), errors.Where(e => e is not null).Select(e => e!).ToArray());
    }
}
