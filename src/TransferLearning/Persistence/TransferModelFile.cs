using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TransferLearning.Backbones;
using static TorchSharp.torch;

namespace TransferLearning.Persistence;

/// <summary>
/// Saves a <see cref="TransferModel"/> as one self-contained file and loads it back, with no network access and no
/// original weights file needed.
/// </summary>
/// <remarks>
/// <para>
/// File format (version 1): a zip archive with three entries, in this order:
/// <list type="bullet">
/// <item><c>manifest.json</c> (deflated): <see cref="ModelManifest"/> as camel-case JSON — format name
/// <see cref="FormatName"/>, format version, library version, creation time, the model spec (backbone id, truncation,
/// head options, class names, input size, preprocessing, BatchNorm policy, initial weights description and fingerprint),
/// the trainable blocks and the caller's <see cref="ModelMetadata"/>.</item>
/// <item><c>weights.safetensors</c> (stored): every state-dict tensor (parameters and BatchNorm buffers) in the
/// safetensors layout, readable by Python's <c>safetensors</c> after unzipping.</item>
/// <item><c>SHA256SUMS</c> (stored): the SHA-256 of the two other entries in <c>sha256sum</c> format
/// (<c>unzip model.tlm &amp;&amp; sha256sum -c SHA256SUMS</c> checks a file by hand).</item>
/// </list>
/// </para>
/// <para>
/// Saving writes a temporary file in the destination folder, flushes it to disk and renames it over the destination, so
/// a crash, a full disk or an exception while saving never damages an existing file. Loading checks the archive, both
/// checksums, the format name and version, the catalogue entry, the spec, and every tensor's name, type and shape
/// before any weights are copied; every problem with the content is reported as a <see cref="ModelFileException"/> and
/// no model is returned. A change to any byte of the manifest or weights is detected by the checksums; changes to zip
/// bookkeeping that leave both entries intact (for example a timestamp) do not affect the loaded model.
/// </para>
/// </remarks>
public static class TransferModelFile
{
    /// <summary>Format identifier stored in every manifest.</summary>
    public const string FormatName = "TransferLearning.Model";

    /// <summary>The format version this library writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The conventional file extension.</summary>
    public const string Extension = ".tlm";

    internal const string ManifestEntry = "manifest.json";
    internal const string WeightsEntry = "weights.safetensors";
    internal const string ChecksumEntry = "SHA256SUMS";

    private const int MaxManifestBytes = 16 * 1024 * 1024;
    private const int MaxChecksumBytes = 4096;

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Saves a model to a file, atomically (temporary file in the same folder, then rename).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">Destination file; an existing file is replaced only once the new one is complete.</param>
    /// <param name="metadata">Optional training summary and metrics to store in the manifest.</param>
    /// <param name="cancellationToken">Cancels the save; the destination is then left untouched.</param>
    public static void Save(TransferModel model, string path, ModelMetadata? metadata = null, CancellationToken cancellationToken = default) =>
        Save(model, path, metadata, wrapStream: null, cancellationToken);

    /// <summary>Writes a model file to a stream (the stream is left open).</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">A writable stream.</param>
    /// <param name="metadata">Optional training summary and metrics to store in the manifest.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    public static void Save(TransferModel model, Stream stream, ModelMetadata? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        CheckSavable(model);
        metadata ??= new ModelMetadata();
        metadata.Validate();
        WriteArchive(model, stream, metadata, cancellationToken);
    }

    /// <summary>Loads a model file: validates everything, then rebuilds the model and copies the weights.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">Device to move the model to. Default: CPU.</param>
    /// <returns>The model in inference mode, with the blocks that were trainable at save time trainable again.</returns>
    /// <exception cref="ModelFileException">The file is truncated, corrupted, of another format version, not a model file, or describes an unknown architecture.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static TransferModel Load(string path, Device? device = null) => LoadWithManifest(path, device).Model;

    /// <summary>Loads a model file from a stream (read to its end; the stream is left open).</summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="device">Device to move the model to. Default: CPU.</param>
    /// <returns>The model in inference mode.</returns>
    /// <exception cref="ModelFileException">The content is not a valid model file.</exception>
    public static TransferModel Load(Stream stream, Device? device = null) => LoadWithManifest(stream, device).Model;

    /// <summary>Loads a model file and returns the model with its manifest.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">Device to move the model to. Default: CPU.</param>
    /// <exception cref="ModelFileException">The file is not a valid model file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static LoadedModel LoadWithManifest(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        RejectFolder(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            return LoadWithManifest(stream, device);
        }
        catch (ModelFileException ex) when (ex.FilePath is null)
        {
            throw new ModelFileException($"'{path}': {ex.Message}", ex.InnerException) { FilePath = path };
        }
    }

    /// <summary>Loads a model file from a stream and returns the model with its manifest.</summary>
    /// <param name="stream">A readable stream.</param>
    /// <param name="device">Device to move the model to. Default: CPU.</param>
    /// <exception cref="ModelFileException">The content is not a valid model file.</exception>
    /// <exception cref="DeviceUnavailableException">A CUDA device was asked for but is not available.</exception>
    public static LoadedModel LoadWithManifest(Stream stream, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (device is not null)
        {
            ComputeDevice.EnsureAvailable(device); // before reading: a missing CUDA backend is reported as such
        }

        var (manifest, weights) = ReadAndVerify(stream, readWeights: true);
        ModelFileLimits.Check(manifest.Spec, weights!.LongLength);
        var model = Rebuild(manifest, weights);
        if (device is not null && device.type != DeviceType.CPU)
        {
            model.to(device);
        }

        return new LoadedModel(model, manifest);
    }

    /// <summary>Reads and validates only the manifest (checksum, format, version, spec); no model is built.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ModelFileException">The file is not a valid model file.</exception>
    public static ModelManifest ReadManifest(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        RejectFolder(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            return ReadAndVerify(stream, readWeights: false).Manifest;
        }
        catch (ModelFileException ex) when (ex.FilePath is null)
        {
            throw new ModelFileException($"'{path}': {ex.Message}", ex.InnerException) { FilePath = path };
        }
    }

    /// <summary>Save with a hook that wraps the temporary file's stream (tests inject failures with it).</summary>
    internal static void Save(TransferModel model, string path, ModelMetadata? metadata, Func<Stream, Stream>? wrapStream, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        CheckSavable(model);
        metadata ??= new ModelMetadata();
        metadata.Validate();
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        StaleTempFiles.Remove(full);
        string temp = StaleTempFiles.NewTempPath(full);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var target = wrapStream?.Invoke(file) ?? file;
                try
                {
                    WriteArchive(model, target, metadata, cancellationToken);
                    target.Flush();
                }
                finally
                {
                    if (!ReferenceEquals(target, file))
                    {
                        target.Dispose();
                    }
                }

                file.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Never writes a file that <see cref="Load(string, Device?)"/> would refuse (see <see cref="ModelFileLimits"/>).</summary>
    private static void CheckSavable(TransferModel model)
    {
        try
        {
            ModelFileLimits.Check(model.Spec);
        }
        catch (ModelFileException e)
        {
            throw new ArgumentException($"This model cannot be saved: {e.Message}", nameof(model), e);
        }
    }

    private static void RejectFolder(string path)
    {
        if (Directory.Exists(path))
        {
            throw new ModelFileException($"'{path}' is a folder, not a model file: give the .tlm file written by TransferModelFile.Save or 'tl train'.") { FilePath = path };
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // best effort: the temporary file has a unique hidden name and never replaces the destination
        }
        catch (UnauthorizedAccessException)
        {
            // as above
        }
    }

    private static void WriteArchive(TransferModel model, Stream stream, ModelMetadata metadata, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var tensors = model.state_dict().Select(kv => (kv.Key, kv.Value)).ToList();
        var manifest = new ModelManifest
        {
            Format = FormatName,
            FormatVersion = FormatVersion,
            LibraryVersion = typeof(TransferModelFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            CreatedUtc = DateTimeOffset.UtcNow,
            Spec = model.Spec,
            TrainableBlocks = model.TrainableBlocks,
            Metadata = metadata,
            TensorCount = tensors.Count,
            ParameterCount = model.ParameterCount,
        };
        byte[] manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, JsonOptions);
        cancellationToken.ThrowIfCancellationRequested();

        byte[] weightBytes;
        using (var weights = new MemoryStream())
        {
            SafeTensorsFormat.Write(weights, tensors);
            weightBytes = weights.ToArray();
        }

        cancellationToken.ThrowIfCancellationRequested();
        string sums = $"{Convert.ToHexString(SHA256.HashData(manifestBytes)).ToLowerInvariant()}  {ManifestEntry}\n" +
                      $"{Convert.ToHexString(SHA256.HashData(weightBytes)).ToLowerInvariant()}  {WeightsEntry}\n";

        using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        WriteEntry(archive, ManifestEntry, manifestBytes, CompressionLevel.Optimal);
        WriteEntry(archive, WeightsEntry, weightBytes, CompressionLevel.NoCompression);
        WriteEntry(archive, ChecksumEntry, Encoding.ASCII.GetBytes(sums), CompressionLevel.NoCompression);
    }

    private static void WriteEntry(ZipArchive archive, string name, byte[] content, CompressionLevel level)
    {
        var entry = archive.CreateEntry(name, level);
        using var output = entry.Open();
        output.Write(content);
    }

    private static (ModelManifest Manifest, byte[]? Weights) ReadAndVerify(Stream stream, bool readWeights)
    {
        try
        {
            long? available = stream.CanSeek ? stream.Length - stream.Position : null;
            if (available == 0)
            {
                throw new ModelFileException("The model file is empty (0 bytes): it was never completely written, or it was truncated.");
            }

            using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var names = archive.Entries.Select(e => e.FullName).ToArray();
            if (names.Length != 3 || !names.Contains(ManifestEntry) || !names.Contains(WeightsEntry) || !names.Contains(ChecksumEntry))
            {
                throw new ModelFileException(
                    $"Not a TransferLearning model file: expected the entries {ManifestEntry}, {WeightsEntry} and {ChecksumEntry}, found {string.Join(", ", names.Take(10))}.");
            }

            var sums = ParseChecksums(ReadEntry(archive, ChecksumEntry, MaxChecksumBytes));
            byte[] manifestBytes = ReadEntry(archive, ManifestEntry, MaxManifestBytes);
            Verify(manifestBytes, sums, ManifestEntry);
            var manifest = ParseManifest(manifestBytes);
            if (!readWeights)
            {
                return (manifest, null);
            }

            long limit = available is long a ? Math.Min(Array.MaxLength, (a * 16) + (1 << 20)) : Array.MaxLength;
            byte[] weights = ReadEntry(archive, WeightsEntry, limit);
            Verify(weights, sums, WeightsEntry);
            return (manifest, weights);
        }
        catch (ModelFileException)
        {
            throw;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or JsonException or FormatException
                                       or ArgumentException or InvalidOperationException or NotSupportedException
                                       or OverflowException or IndexOutOfRangeException or KeyNotFoundException)
        {
            throw new ModelFileException($"The model file is damaged or not a model file ({ex.GetType().Name}: {ex.Message}).", ex);
        }
    }

    private static byte[] ReadEntry(ZipArchive archive, string name, long maxBytes)
    {
        var entry = archive.GetEntry(name) ?? throw new ModelFileException($"The entry '{name}' is missing.");
        if (entry.Length > maxBytes)
        {
            throw new ModelFileException($"The entry '{name}' claims {entry.Length} bytes, more than the limit of {maxBytes}.");
        }

        using var input = entry.Open();
        using var buffer = new MemoryStream((int)Math.Max(0, Math.Min(entry.Length, maxBytes)));
        var chunk = new byte[81920];
        int read;
        while ((read = input.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new ModelFileException($"The entry '{name}' is larger than the limit of {maxBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length != entry.Length)
        {
            throw new ModelFileException($"The entry '{name}' is truncated ({buffer.Length} of {entry.Length} bytes).");
        }

        return buffer.ToArray();
    }

    private static Dictionary<string, string> ParseChecksums(byte[] content)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Encoding.ASCII.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int space = line.IndexOf("  ", StringComparison.Ordinal);
            if (space != 64)
            {
                throw new ModelFileException($"The {ChecksumEntry} entry is malformed.");
            }

            result[line[(space + 2)..]] = line[..space];
        }

        return result;
    }

    private static void Verify(byte[] content, Dictionary<string, string> sums, string name)
    {
        if (!sums.TryGetValue(name, out var expected))
        {
            throw new ModelFileException($"The {ChecksumEntry} entry has no checksum for '{name}'.");
        }

        string actual = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
        if (!string.Equals(actual, expected, StringComparison.Ordinal))
        {
            throw new ModelFileException($"Checksum mismatch for '{name}': the file is corrupted (expected {expected}, computed {actual}).");
        }
    }

    private static ModelManifest ParseManifest(byte[] bytes)
    {
        using (var doc = JsonDocument.Parse(bytes))
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String
                || format.GetString() != FormatName)
            {
                throw new ModelFileException($"Not a TransferLearning model file: the manifest's format is not '{FormatName}'.");
            }

            if (!root.TryGetProperty("formatVersion", out var version) || version.ValueKind != JsonValueKind.Number
                || !version.TryGetInt32(out int v))
            {
                throw new ModelFileException("The manifest has no valid formatVersion.");
            }

            if (v != FormatVersion)
            {
                throw new ModelFileException(
                    $"Unsupported model file format version {v}; this library reads version {FormatVersion}." +
                    (v > FormatVersion ? " Upgrade TransferLearning to load it." : ""));
            }
        }

        var manifest = JsonSerializer.Deserialize<ModelManifest>(bytes, JsonOptions)
                       ?? throw new ModelFileException("The manifest is empty.");
        var spec = manifest.Spec ?? throw new ModelFileException("The manifest has no model spec.");
        if (spec.Backbone is null || !BackboneCatalog.Contains(spec.Backbone))
        {
            throw new ModelFileException(
                $"The model's backbone '{spec.Backbone}' is not in this library's catalogue ({string.Join(", ", BackboneCatalog.All.Select(b => b.Name))}).");
        }

        if (manifest.Metadata is null || manifest.TrainableBlocks is null)
        {
            throw new ModelFileException("The manifest lacks metadata or trainable blocks.");
        }

        ModelFileLimits.Check(spec);
        try
        {
            manifest.Metadata.Validate();
            TransferModelBuilder.FromSpec(spec).Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ModelFileException($"The manifest describes an invalid model: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new ModelFileException($"The manifest describes an invalid model: {ex.Message}", ex);
        }

        return manifest;
    }

    private static TransferModel Rebuild(ModelManifest manifest, byte[] weights)
    {
        TransferModel? model = null;
        try
        {
            var spec = manifest.Spec;
            model = TransferModelBuilder.FromSpec(spec).WithWeights(new SavedWeightsSource(spec)).Build();
            var state = model.state_dict();
            var layout = SafeTensorsFormat.ReadHeader(weights, state, out long dataStart);
            using (no_grad())
            {
                foreach (var (name, tensor) in state)
                {
                    var (start, length) = layout[name];
                    var source = new ReadOnlySpan<byte>(weights, checked((int)(dataStart + start)), checked((int)length));
                    if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
                    {
                        throw new ModelFileException($"Tensor '{name}' of the rebuilt model is not a contiguous CPU tensor.");
                    }

                    source.CopyTo(tensor.bytes);
                }
            }

            if (manifest.TrainableBlocks.Count > 0)
            {
                foreach (var block in manifest.TrainableBlocks)
                {
                    _ = model.IsBlockTrainable(block); // throws for a block the model lacks
                }

                model.UnfreezeTop(manifest.TrainableBlocks.Count);
            }

            model.eval();
            return model;
        }
        catch (Exception ex)
        {
            model?.Dispose();
            if (ex is ModelFileException)
            {
                throw;
            }

            if (ex is ArgumentException or InvalidOperationException or JsonException or KeyNotFoundException
                or FormatException or OverflowException or NotSupportedException or IndexOutOfRangeException)
            {
                throw new ModelFileException($"The model file's weights do not fit its architecture ({ex.GetType().Name}: {ex.Message}).", ex);
            }

            throw;
        }
    }
}
