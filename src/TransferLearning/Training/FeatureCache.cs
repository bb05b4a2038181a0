using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using TransferLearning.Data;
using static TorchSharp.torch;

namespace TransferLearning.Training;

/// <summary>
/// Pooled base features of every sample of a deterministic source, indexed by sample index; in memory or in a file
/// (written via a temporary file and a rename, reused across runs by key).
/// </summary>
internal sealed class FeatureCache : IDisposable
{
    private const int HeaderBytes = 32;
    private static readonly byte[] Magic = "TLFCACHE"u8.ToArray();

    private readonly float[]? memory;
    private readonly long[] labels;
    private readonly bool[] present;
    private readonly SafeFileHandle? file;

    private FeatureCache(string key, int featureSize, long[] labels, bool[] present, float[]? memory, SafeFileHandle? file, string? path, int batchSize)
    {
        Key = key;
        FeatureSize = featureSize;
        this.labels = labels;
        this.present = present;
        this.memory = memory;
        this.file = file;
        FilePath = path;
        BatchSize = batchSize;
    }

    public string Key { get; }

    public int FeatureSize { get; }

    public int SampleCount => labels.Length;

    public string? FilePath { get; }

    public int BatchSize { get; }

    public bool IsOnDisk => file is not null;

    public bool IsPresent(int index) => index >= 0 && index < present.Length && present[index];

    public static FeatureCache Build(TransferModel model, IBatchSource source, FeatureCacheOptions options, string key, CancellationToken cancellationToken, out bool computed)
    {
        computed = false;
        int n = source.SampleCount;
        int f = model.FeatureSize;
        long bytes = (long)n * f * sizeof(float);
        bool disk = bytes > options.MaxMemoryBytes || (long)n * f > Array.MaxLength;
        string? path = disk ? Path.Combine(options.ResolvedDirectory, key + ".features") : null;
        if (path is not null && TryOpen(path, key, n, f) is { } reused)
        {
            return reused;
        }

        computed = true;
        var labels = new long[n];
        var present = new bool[n];
        float[]? memory = disk ? null : new float[(long)n * f];
        string? tmp = null;
        FileStream? stream = null;
        if (disk)
        {
            Directory.CreateDirectory(options.ResolvedDirectory);
            Persistence.StaleTempFiles.Remove(path!);
            tmp = Persistence.StaleTempFiles.NewTempPath(path!);
            stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(HeaderBytes + ((long)n * f * sizeof(float)) + (2L * n * sizeof(long)));
        }

        int batchSize = 0;
        bool wasTraining = model.training;
        try
        {
            model.eval();
            using var noGrad = no_grad();
            var device = model.Device;
            foreach (var batch in source.GetBatches(0, cancellationToken))
            {
                using (batch)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    batchSize = Math.Max(batchSize, batch.Count);
                    using var scope = NewDisposeScope();
                    var features = model.ExtractFeatures(batch.Images.to(device)).to(ScalarType.Float32).cpu().contiguous();
                    float[] values = features.data<float>().ToArray();
                    long[] y = batch.Labels.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
                    for (int i = 0; i < batch.Count; i++)
                    {
                        int index = batch.Indices[i];
                        if (index < 0 || index >= n)
                        {
                            throw new InvalidOperationException($"The source yielded sample index {index}, outside [0, {n}).");
                        }

                        labels[index] = y[i];
                        present[index] = true;
                        var row = values.AsSpan(i * f, f);
                        if (memory is not null)
                        {
                            row.CopyTo(memory.AsSpan((int)((long)index * f), f));
                        }
                        else
                        {
                            RandomAccess.Write(stream!.SafeFileHandle, MemoryMarshal.AsBytes(row), HeaderBytes + ((long)index * f * sizeof(float)));
                        }
                    }
                }
            }

            if (disk)
            {
                long tail = HeaderBytes + ((long)n * f * sizeof(float));
                var meta = new long[2 * n];
                for (int i = 0; i < n; i++)
                {
                    meta[i] = labels[i];
                    meta[n + i] = present[i] ? 1 : 0;
                }

                RandomAccess.Write(stream!.SafeFileHandle, MemoryMarshal.AsBytes(meta.AsSpan()), tail);
                var header = new byte[HeaderBytes];
                Magic.CopyTo(header, 0);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), n);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), f);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), batchSize);
                RandomAccess.Write(stream.SafeFileHandle, header, 0);
                stream.Flush(flushToDisk: true);
                stream.Dispose();
                stream = null;
                File.Move(tmp!, path!, overwrite: true);
                tmp = null;
                return TryOpen(path!, key, n, f) ?? throw new IOException($"The feature cache file '{path}' could not be read back.");
            }

            return new FeatureCache(key, f, labels, present, memory, null, null, batchSize);
        }
        finally
        {
            model.train(wasTraining);
            stream?.Dispose();
            if (tmp is not null && File.Exists(tmp))
            {
                File.Delete(tmp);
            }
        }
    }

    /// <summary>Features <c>[B, F]</c> and labels <c>[B]</c> of the given samples, on <paramref name="device"/>.</summary>
    public (Tensor Features, Tensor Labels) Gather(IReadOnlyList<int> indices, Device device)
    {
        int b = indices.Count;
        var buffer = new float[(long)b * FeatureSize];
        var y = new long[b];
        for (int i = 0; i < b; i++)
        {
            int index = indices[i];
            y[i] = labels[index];
            var dest = buffer.AsSpan(i * FeatureSize, FeatureSize);
            if (memory is not null)
            {
                memory.AsSpan((int)((long)index * FeatureSize), FeatureSize).CopyTo(dest);
            }
            else
            {
                RandomAccess.Read(file!, MemoryMarshal.AsBytes(dest), HeaderBytes + ((long)index * FeatureSize * sizeof(float)));
            }
        }

        var features = tensor(buffer, new long[] { b, FeatureSize });
        var labelTensor = tensor(y);
        if (device.type != DeviceType.CPU)
        {
            features = features.to(device);
            labelTensor = labelTensor.to(device);
        }

        return (features, labelTensor);
    }

    public void Dispose() => file?.Dispose();

    private static FeatureCache? TryOpen(string path, string key, int n, int f)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        SafeFileHandle? handle = null;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            long expected = HeaderBytes + ((long)n * f * sizeof(float)) + (2L * n * sizeof(long));
            if (RandomAccess.GetLength(handle) != expected)
            {
                handle.Dispose();
                return null;
            }

            var header = new byte[HeaderBytes];
            RandomAccess.Read(handle, header, 0);
            if (!header.AsSpan(0, 8).SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8)) != n
                || BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12)) != f)
            {
                handle.Dispose();
                return null;
            }

            int batchSize = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(16));
            var meta = new long[2 * n];
            RandomAccess.Read(handle, MemoryMarshal.AsBytes(meta.AsSpan()), HeaderBytes + ((long)n * f * sizeof(float)));
            var labels = meta.AsSpan(0, n).ToArray();
            var present = meta.AsSpan(n, n).ToArray().Select(v => v != 0).ToArray();
            return new FeatureCache(key, f, labels, present, null, handle, path, batchSize);
        }
        catch (IOException)
        {
            handle?.Dispose();
            return null;
        }
    }
}
