namespace TransferLearning.Training;

/// <summary>
/// Optional interface of an <see cref="Data.IBatchSource"/> that can tell which sample indices each batch of an epoch
/// holds without loading any image. The feature cache uses it so that training from cached features visits the samples
/// in exactly the order <see cref="Data.IBatchSource.GetBatches"/> would (same seed, same batches), which makes cached and
/// uncached head training give the same weights. Sources without it are visited in a seeded shuffle of their own.
/// </summary>
public interface IBatchOrderSource
{
    /// <summary>The sample indices of every batch of <paramref name="epoch"/>, as <see cref="Data.IBatchSource.GetBatches"/> yields them.</summary>
    /// <param name="epoch">Zero-based epoch.</param>
    IReadOnlyList<IReadOnlyList<int>> GetBatchIndices(int epoch);
}
