using TransferLearning.Data;

namespace TransferLearning.Cli.Output;

/// <summary>Wraps a batch source and reports how many samples each batch held (for progress bars).</summary>
internal sealed class CountingBatchSource : IBatchSource
{
    private readonly IBatchSource inner;
    private readonly Action<int> onBatch;

    public CountingBatchSource(IBatchSource inner, Action<int> onBatch)
    {
        this.inner = inner;
        this.onBatch = onBatch;
    }

    public IReadOnlyList<string> ClassNames => inner.ClassNames;

    public int SampleCount => inner.SampleCount;

    public int BatchesPerEpoch => inner.BatchesPerEpoch;

    public bool IsDeterministic => inner.IsDeterministic;

    public string Fingerprint => inner.Fingerprint;

    public IEnumerable<ImageBatch> GetBatches(int epoch, CancellationToken cancellationToken = default)
    {
        foreach (var batch in inner.GetBatches(epoch, cancellationToken))
        {
            onBatch(batch.Count);
            yield return batch;
        }
    }
}
