using TransferLearning.Data;
using TransferLearning.Training;

namespace TransferLearning.Cli.Output;

/// <summary>
/// Wraps a batch source and reports how many samples each batch held (for progress bars). It forwards the batch order
/// (<see cref="IBatchOrderSource"/>) and the fingerprint, so the trainer's feature cache behaves exactly as with the
/// wrapped source.
/// </summary>
internal sealed class CountingBatchSource : IBatchSource, IBatchOrderSource
{
    private readonly DataLoader inner;
    private readonly Action<int> onBatch;

    public CountingBatchSource(DataLoader inner, Action<int> onBatch)
    {
        this.inner = inner;
        this.onBatch = onBatch;
    }

    public IReadOnlyList<string> ClassNames => inner.ClassNames;

    public int SampleCount => inner.SampleCount;

    public int BatchesPerEpoch => inner.BatchesPerEpoch;

    public bool IsDeterministic => inner.IsDeterministic;

    public string Fingerprint => inner.Fingerprint;

    public IReadOnlyList<IReadOnlyList<int>> GetBatchIndices(int epoch) => ((IBatchOrderSource)inner).GetBatchIndices(epoch);

    public IEnumerable<ImageBatch> GetBatches(int epoch, CancellationToken cancellationToken = default)
    {
        foreach (var batch in inner.GetBatches(epoch, cancellationToken))
        {
            onBatch(batch.Count);
            yield return batch;
        }
    }
}
