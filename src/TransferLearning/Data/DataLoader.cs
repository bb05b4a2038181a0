using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace TransferLearning.Data;

/// <summary>
/// Turns an <see cref="ImageDataset"/> into batches of NCHW float32 images and int64 labels: per-epoch shuffling from
/// the seed, decoding and transforming on worker threads with a bounded prefetch queue, cancellation, and bad files
/// skipped and reported (or thrown, by policy). Each sample's random generator is derived from the seed, the epoch
/// and the sample's index, so batches and augmentations do not depend on the number of workers.
/// </summary>
/// <remarks>
/// A file that cannot be decoded is left out of its batch (which is then one sample smaller), logged once, listed in
/// <see cref="Report"/> and not decoded again in later epochs; a batch whose files are all bad is not yielded.
/// Memory stays bounded: at most <see cref="DataLoaderOptions.PrefetchBatches"/> + 1 batch buffers exist at a time.
/// </remarks>
public sealed class DataLoader : IBatchSource, TransferLearning.Training.IBatchOrderSource
{
    private readonly ILogger logger;
    private readonly ImageDecodeOptions decodeOptions;
    private readonly Dictionary<int, ImageDecodeException> knownBad = new();
    private readonly object badGate = new();
    private string? fingerprint;

    /// <summary>Creates a loader.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="transform">The transform (<see cref="ImageTransform.ForTraining"/> or <see cref="ImageTransform.ForEvaluation"/>).</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Receives a warning per skipped file; <see langword="null"/> for none.</param>
    /// <exception cref="DatasetException">The dataset has no samples.</exception>
    public DataLoader(ImageDataset dataset, ImageTransform transform, DataLoaderOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(transform);
        options ??= new DataLoaderOptions();
        options.Validate();
        if (dataset.Count == 0)
        {
            throw new DatasetException("The dataset has no samples: nothing to load.");
        }

        Dataset = dataset;
        Transform = transform;
        Options = options;
        this.logger = logger ?? NullLogger.Instance;
        decodeOptions = options.Decode ?? transform.DecodeOptions;
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && BufferBytes > available)
        {
            throw new InsufficientMemoryException(string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"The data loader needs {BufferBytes / (1024.0 * 1024 * 1024):F1} GiB for its batch buffers ({BufferSlots} x {SlotCapacity} images of 3x{transform.InputSize}x{transform.InputSize} floats), more than the {available / (1024.0 * 1024 * 1024):F1} GiB of memory available; use a smaller batch size or input size."));
        }
    }

    /// <summary>Images one batch buffer holds: the batch size, or the sample count when that is smaller.</summary>
    public int SlotCapacity => Math.Min(Options.BatchSize, Dataset.Count);

    /// <summary>Bytes of the batch buffers at most in use at a time (buffers of the workers and of the batch handed out).</summary>
    public long BufferBytes => (long)BufferSlots * SlotCapacity * Transform.ValuesPerImage * sizeof(float) * 2;

    private int BufferSlots => Options.Workers == 0 ? 1 : Options.PrefetchBatches + 1;

    /// <summary>The dataset.</summary>
    public ImageDataset Dataset { get; }

    /// <summary>The transform.</summary>
    public ImageTransform Transform { get; }

    /// <summary>The options.</summary>
    public DataLoaderOptions Options { get; }

    /// <summary>Files skipped so far (over all epochs), each once with its reason.</summary>
    public BadFileReport Report { get; } = new();

    /// <inheritdoc/>
    public IReadOnlyList<string> ClassNames => Dataset.ClassNames;

    /// <inheritdoc/>
    public int SampleCount => Dataset.Count;

    /// <inheritdoc/>
    public int BatchesPerEpoch => Options.DropLast ? SampleCount / Options.BatchSize : (SampleCount + Options.BatchSize - 1) / Options.BatchSize;

    /// <inheritdoc/>
    public bool IsDeterministic => !Transform.IsRandom;

    /// <inheritdoc/>
    /// <remarks>SHA-256 of the dataset's fingerprint, the transform's settings and the decoding options (plus the seed when augmentation is random).</remarks>
    public string Fingerprint => fingerprint ??= ComputeFingerprint();

    /// <inheritdoc/>
    IReadOnlyList<IReadOnlyList<int>> TransferLearning.Training.IBatchOrderSource.GetBatchIndices(int epoch) => PlanEpoch(epoch);

    /// <summary>The dataset indices of each batch of an epoch, in order (before bad files are left out).</summary>
    /// <param name="epoch">Zero-based epoch.</param>
    public IReadOnlyList<int[]> PlanEpoch(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var order = Enumerable.Range(0, SampleCount).ToArray();
        if (Options.Shuffle)
        {
            SeedMixer.Create(Options.Seed, epoch, 0x5A1E).Shuffle(order);
        }

        var batches = new List<int[]>(BatchesPerEpoch);
        for (var start = 0; start < order.Length; start += Options.BatchSize)
        {
            var count = Math.Min(Options.BatchSize, order.Length - start);
            if (count < Options.BatchSize && Options.DropLast)
            {
                break;
            }

            batches.Add(order.AsSpan(start, count).ToArray());
        }

        return batches;
    }

    /// <inheritdoc/>
    /// <exception cref="ImageDecodeException">A file cannot be decoded and <see cref="DataLoaderOptions.BadFilePolicy"/> is <see cref="BadFilePolicy.Throw"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public IEnumerable<ImageBatch> GetBatches(int epoch, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var plan = PlanEpoch(epoch);
        return Options.Workers == 0 ? Sequential(plan, epoch, cancellationToken) : Parallel(plan, epoch, cancellationToken);
    }

    private IEnumerable<ImageBatch> Sequential(IReadOnlyList<int[]> plan, int epoch, CancellationToken cancellationToken)
    {
        var slot = new Slot(SlotCapacity, Transform.ValuesPerImage);
        foreach (var indices in plan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            slot.Reset(indices);
            for (var p = 0; p < indices.Length; p++)
            {
                ProcessSample(slot, p, epoch);
            }

            var batch = BuildBatch(slot);
            if (batch is not null)
            {
                yield return batch;
            }
        }
    }

    private IEnumerable<ImageBatch> Parallel(IReadOnlyList<int[]> plan, int epoch, CancellationToken cancellationToken)
    {
        using var pipeline = new Pipeline(this, plan, epoch, cancellationToken);
        for (var b = 0; b < plan.Count; b++)
        {
            var slot = pipeline.WaitFor(b);
            ImageBatch? batch;
            try
            {
                if (slot.Error is { } error)
                {
                    error.Throw();
                }

                batch = BuildBatch(slot);
            }
            finally
            {
                pipeline.Release(b);
            }

            if (batch is not null)
            {
                yield return batch;
            }
        }
    }

    /// <summary>Decodes and transforms sample <paramref name="position"/> of the slot's batch into the slot's buffer.</summary>
    private void ProcessSample(Slot slot, int position, int epoch)
    {
        var index = slot.Indices[position];
        var sample = Dataset.Samples[index];
        slot.Labels[position] = sample.Label;
        ImageDecodeException? bad;
        lock (badGate)
        {
            knownBad.TryGetValue(index, out bad);
        }

        if (bad is null)
        {
            try
            {
                using var bitmap = ImageDecoder.Decode(sample.Path, decodeOptions);
                var random = Transform.IsRandom ? SeedMixer.Create(Options.Seed, epoch, index, 0xA06) : null;
                Transform.Apply(bitmap, random, slot.Images.AsSpan(position * Transform.ValuesPerImage, Transform.ValuesPerImage));
                slot.Ok[position] = true;
                return;
            }
            catch (ImageDecodeException e)
            {
                bad = e;
                lock (badGate)
                {
                    knownBad[index] = e;
                }

                if (Report.Add(new BadFileEntry(sample.Path, index, e.Reason, e.Message)))
                {
                    logger.LogWarning("Skipping bad image {Path} ({Reason}): {Message}", sample.Path, e.Reason, e.Message);
                }
            }
        }

        slot.Ok[position] = false;
        if (Options.BadFilePolicy == BadFilePolicy.Throw)
        {
            throw bad;
        }
    }

    private unsafe ImageBatch? BuildBatch(Slot slot)
    {
        var per = Transform.ValuesPerImage;
        var good = new List<int>(slot.Indices.Length);
        var labels = new List<long>(slot.Indices.Length);
        for (var p = 0; p < slot.Indices.Length; p++)
        {
            if (!slot.Ok[p])
            {
                continue;
            }

            if (good.Count != p)
            {
                Array.Copy(slot.Images, (long)p * per, slot.Images, (long)good.Count * per, per);
            }

            good.Add(slot.Indices[p]);
            labels.Add(slot.Labels[p]);
        }

        if (good.Count == 0)
        {
            return null;
        }

        var size = Transform.InputSize;
        var images = empty(new long[] { good.Count, 3, size, size }, ScalarType.Float32);
        try
        {
            images.bytes = MemoryMarshal.AsBytes(slot.Images.AsSpan(0, good.Count * per));
            var labelTensor = tensor(labels.ToArray(), new long[] { labels.Count });
            return new ImageBatch(images, labelTensor, good.ToArray());
        }
        catch
        {
            images.Dispose();
            throw;
        }
    }

    private string ComputeFingerprint()
    {
        var text = new StringBuilder()
            .Append("dataset=").Append(Dataset.Fingerprint)
            .Append(";transform=").Append(Transform.Fingerprint)
            .Append(";decode=").Append(decodeOptions.TargetShorterSide).Append(',').Append(decodeOptions.MaxSide).Append(',')
            .Append(decodeOptions.MaxDecodedPixels).Append(',').Append(decodeOptions.MaxPixels).Append(',')
            .Append(decodeOptions.Background.ToString()).Append(',').Append(decodeOptions.ApplyExifOrientation);
        if (Transform.IsRandom)
        {
            text.Append(";seed=").Append(Options.Seed);
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant();
    }

    /// <summary>Buffers for one batch in flight.</summary>
    private sealed class Slot
    {
        public Slot(int batchSize, int valuesPerImage)
        {
            Images = new float[(long)batchSize * valuesPerImage];
            Labels = new long[batchSize];
            Ok = new bool[batchSize];
            Indices = Array.Empty<int>();
        }

        public float[] Images { get; }

        public long[] Labels { get; }

        public bool[] Ok { get; }

        public int[] Indices { get; private set; }

        public int Remaining;

        public ExceptionDispatchInfo? Error { get; set; }

        public void Reset(int[] indices)
        {
            Indices = indices;
            Remaining = indices.Length;
            Error = null;
            Array.Clear(Ok);
        }
    }

    /// <summary>
    /// Worker threads that take the samples of the epoch in order and fill the slot of their batch; a worker waits
    /// while its batch is more than <see cref="DataLoaderOptions.PrefetchBatches"/> ahead of the consumer.
    /// </summary>
    private sealed class Pipeline : IDisposable
    {
        private readonly DataLoader loader;
        private readonly IReadOnlyList<int[]> plan;
        private readonly int epoch;
        private readonly CancellationToken cancellationToken;
        private readonly (int Batch, int Position)[] items;
        private readonly Slot?[] slots;
        private readonly Stack<Slot> pool = new();
        private readonly object gate = new();
        private readonly Thread[] threads;
        private readonly CancellationTokenRegistration registration;
        private int nextItem = -1;
        private int consumed;
        private bool stopping;

        public Pipeline(DataLoader loader, IReadOnlyList<int[]> plan, int epoch, CancellationToken cancellationToken)
        {
            this.loader = loader;
            this.plan = plan;
            this.epoch = epoch;
            this.cancellationToken = cancellationToken;
            items = plan.SelectMany((indices, b) => indices.Select((_, p) => (b, p))).ToArray();
            slots = new Slot?[plan.Count];
            registration = cancellationToken.Register(() =>
            {
                lock (gate)
                {
                    Monitor.PulseAll(gate);
                }
            });
            var count = Math.Min(loader.Options.Workers, Math.Max(1, items.Length));
            threads = new Thread[count];
            for (var i = 0; i < count; i++)
            {
                threads[i] = new Thread(Work) { IsBackground = true, Name = $"DataLoader worker {i}" };
                threads[i].Start();
            }
        }

        public Slot WaitFor(int batch)
        {
            lock (gate)
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (slots[batch] is { } slot && (Volatile.Read(ref slot.Remaining) == 0 || slot.Error is not null))
                    {
                        return slot;
                    }

                    Monitor.Wait(gate);
                }
            }
        }

        public void Release(int batch)
        {
            lock (gate)
            {
                if (slots[batch] is { } slot && Volatile.Read(ref slot.Remaining) == 0)
                {
                    pool.Push(slot);
                }

                slots[batch] = null;
                consumed = batch + 1;
                Monitor.PulseAll(gate);
            }
        }

        public void Dispose()
        {
            lock (gate)
            {
                stopping = true;
                Monitor.PulseAll(gate);
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }

            registration.Dispose();
        }

        private void Work()
        {
            var prefetch = loader.Options.PrefetchBatches;
            while (true)
            {
                var i = Interlocked.Increment(ref nextItem);
                if (i >= items.Length)
                {
                    return;
                }

                var (batch, position) = items[i];
                Slot slot;
                lock (gate)
                {
                    while (!stopping && !cancellationToken.IsCancellationRequested && batch >= consumed + prefetch)
                    {
                        Monitor.Wait(gate);
                    }

                    if (stopping || cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }

                    if (slots[batch] is null)
                    {
                        var fresh = pool.Count > 0 ? pool.Pop() : new Slot(loader.SlotCapacity, loader.Transform.ValuesPerImage);
                        fresh.Reset(plan[batch]);
                        slots[batch] = fresh;
                    }

                    slot = slots[batch]!;
                }

                try
                {
                    loader.ProcessSample(slot, position, epoch);
                }
                catch (Exception e)
                {
                    lock (gate)
                    {
                        slot.Error ??= ExceptionDispatchInfo.Capture(e);
                    }
                }

                if (Interlocked.Decrement(ref slot.Remaining) == 0 || slot.Error is not null)
                {
                    lock (gate)
                    {
                        Monitor.PulseAll(gate);
                    }
                }
            }
        }
    }
}
