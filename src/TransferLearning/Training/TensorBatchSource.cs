using System.Security.Cryptography;
using TransferLearning.Data;
using static TorchSharp.torch;

namespace TransferLearning.Training;

/// <summary>
/// An in-memory <see cref="IBatchSource"/> over preprocessed image tensors (for tests, synthetic data, or images already
/// decoded by the caller). Deterministic: no augmentation; the shuffle order depends only on the seed and the epoch.
/// </summary>
public sealed class TensorBatchSource : IBatchSource, IBatchOrderSource, IDisposable
{
    private readonly Tensor images;
    private readonly Tensor labels;
    private readonly int batchSize;
    private readonly bool shuffle;
    private readonly int seed;
    private string? fingerprint;

    /// <summary>Creates the source; it keeps its own copies of the tensors.</summary>
    /// <param name="images">Images <c>[N, 3, S, S]</c>, float32, already preprocessed.</param>
    /// <param name="labels">Labels <c>[N]</c> in [0, classes).</param>
    /// <param name="classNames">Class names.</param>
    /// <param name="batchSize">Batch size. Default 32.</param>
    /// <param name="shuffle">Shuffle every epoch. Default true.</param>
    /// <param name="seed">Shuffle seed. Default 0.</param>
    /// <param name="fingerprint">Identity of the data for cache keys; default: a SHA-256 of the tensors' bytes.</param>
    public TensorBatchSource(Tensor images, Tensor labels, IReadOnlyList<string> classNames, int batchSize = 32, bool shuffle = true, int seed = 0, string? fingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (images.dim() != 4 || labels.dim() != 1 || images.shape[0] != labels.shape[0] || images.shape[0] == 0)
        {
            throw new ArgumentException($"Expected images [N, C, H, W] and labels [N] with N > 0; got [{string.Join(", ", images.shape)}] and [{string.Join(", ", labels.shape)}].");
        }

        if (classNames.Count < 2)
        {
            throw new ArgumentException("At least two classes are needed.", nameof(classNames));
        }

        this.images = images.detach().to_type(ScalarType.Float32).cpu().contiguous().clone();
        this.images.DetachFromDisposeScope();
        this.labels = labels.detach().to_type(ScalarType.Int64).cpu().contiguous().clone();
        this.labels.DetachFromDisposeScope();
        long max = this.labels.max().item<long>(), min = this.labels.min().item<long>();
        if (min < 0 || max >= classNames.Count)
        {
            throw new ArgumentException($"Labels must be in [0, {classNames.Count}); found {min}..{max}.", nameof(labels));
        }

        ClassNames = classNames.ToArray();
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.seed = seed;
        this.fingerprint = fingerprint;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames { get; }

    /// <inheritdoc/>
    public int SampleCount => (int)labels.shape[0];

    /// <inheritdoc/>
    public int BatchesPerEpoch => (SampleCount + batchSize - 1) / batchSize;

    /// <inheritdoc/>
    public bool IsDeterministic => true;

    /// <inheritdoc/>
    public string Fingerprint => fingerprint ??= ComputeFingerprint();

    /// <inheritdoc/>
    public IReadOnlyList<IReadOnlyList<int>> GetBatchIndices(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        int[] order = Enumerable.Range(0, SampleCount).ToArray();
        if (shuffle)
        {
            new Random(unchecked((seed * 1_000_003) + epoch)).Shuffle(order); // HashCode is randomised per process: not usable here
        }

        return order.Chunk(batchSize).Select(c => (IReadOnlyList<int>)c).ToArray();
    }

    /// <inheritdoc/>
    public IEnumerable<ImageBatch> GetBatches(int epoch, CancellationToken cancellationToken = default)
    {
        foreach (var indices in GetBatchIndices(epoch))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var index = tensor(indices.Select(i => (long)i).ToArray());
            var x = images.index_select(0, index);
            var y = labels.index_select(0, index);
            x.DetachFromDisposeScope();
            y.DetachFromDisposeScope();
            yield return new ImageBatch(x, y, indices);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        images.Dispose();
        labels.Dispose();
    }

    private string ComputeFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(images.bytes);
        hash.AppendData(labels.bytes);
        return "tensors:" + Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
