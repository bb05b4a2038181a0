using System.Collections;
using TorchSharp.PyBridge;
using TransferLearning.Backbones;
using static TorchSharp.torch;

namespace TransferLearning.Weights;

/// <summary>
/// A PyTorch state dict (<c>torch.save(model.state_dict())</c> zip file, <c>.pth</c>/<c>.pt</c>) or a safetensors file,
/// read with TorchSharp.PyBridge: the files torchvision publishes for its models. Every key and shape is checked against
/// the backbone before anything is copied; keys of the old classifier (<see cref="BackboneInfo.ClassifierKeyPrefixes"/>)
/// are skipped unless <see cref="SkipClassifier"/> is false.
/// </summary>
public sealed class PyTorchWeights : WeightsFile
{
    private const ulong SafeTensorsMaxHeaderBytes = 100_000_000;

    /// <summary>Creates a source for a file.</summary>
    /// <param name="path">The <c>.pth</c>, <c>.pt</c> or <c>.safetensors</c> file.</param>
    /// <param name="format"><see cref="WeightsFormat.PyTorch"/> or <see cref="WeightsFormat.SafeTensors"/>; default: from the extension (<c>.safetensors</c>) or else PyTorch.</param>
    /// <param name="skipClassifier">Skip keys of the old classifier. Default true.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public PyTorchWeights(string path, WeightsFormat? format = null, bool skipClassifier = true)
        : base(path)
    {
        Format = format ?? (Path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? WeightsFormat.SafeTensors : WeightsFormat.PyTorch);
        if (Format is not (WeightsFormat.PyTorch or WeightsFormat.SafeTensors))
        {
            throw new ArgumentException($"PyTorchWeights reads PyTorch or SafeTensors files, not {Format}.", nameof(format));
        }

        SkipClassifier = skipClassifier;
    }

    /// <summary>The file format.</summary>
    public WeightsFormat Format { get; }

    /// <summary>Whether keys of the old classifier are skipped.</summary>
    public bool SkipClassifier { get; }

    /// <inheritdoc/>
    public override string Description => $"{(Format == WeightsFormat.SafeTensors ? "safetensors" : "PyTorch")} state dict ({System.IO.Path.GetFileName(Path)})";

    /// <summary>Reads the file into a name -> tensor dictionary (the caller disposes the tensors).</summary>
    /// <exception cref="InvalidDataException">The file cannot be read as a state dict.</exception>
    public Dictionary<string, Tensor> ReadStateDict()
    {
        CheckHeader();
        try
        {
            if (Format == WeightsFormat.SafeTensors)
            {
                return Safetensors.LoadStateDict(Path);
            }

            var table = PyTorchUnpickler.UnpickleStateDict(Path);
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in table)
            {
                if (entry.Key is string key && entry.Value is Tensor t)
                {
                    result[key] = t;
                }
                else
                {
                    throw new InvalidDataException($"'{System.IO.Path.GetFileName(Path)}' holds an entry '{entry.Key}' that is not a tensor: save model.state_dict(), not the model.");
                }
            }

            return result;
        }
        catch (NotImplementedException e) // PyBridge's answer to legacy (pre-1.6) pickles: translated, not a stub of ours
        {
            throw new InvalidDataException(
                $"'{System.IO.Path.GetFileName(Path)}' is not a supported state dict ({e.Message}). Legacy (pre-1.6, non-zip) .pth files are not supported: " +
                "re-save with torch.save(torch.load(path), new_path) in a recent PyTorch.", e);
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{System.IO.Path.GetFileName(Path)}' could not be read as a {Format} state dict: {NativeErrorText.Clean(e.Message)}", e);
        }
    }

    /// <summary>A zip archive written by torch.save holds <c>&lt;name&gt;/data.pkl</c>; any other zip is named as such.</summary>
    private void CheckTorchZip(string name)
    {
        string[] entries;
        try
        {
            using var archive = System.IO.Compression.ZipFile.OpenRead(Path);
            entries = archive.Entries.Select(e => e.FullName).ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{name}' starts like a zip archive (a PyTorch file) but is damaged or truncated: {e.Message.TrimEnd('.')}.", e);
        }

        if (!entries.Any(e => e == "data.pkl" || e.EndsWith("/data.pkl", StringComparison.Ordinal)))
        {
            throw new InvalidDataException(
                $"'{name}' is a zip archive but not a PyTorch state dict: torch.save writes a 'data.pkl' entry, this archive holds {string.Join(", ", entries.Take(5).Select(e => $"'{e}'"))}{(entries.Length > 5 ? ", ..." : "")}.");
        }
    }

    /// <summary>
    /// Looks at the first bytes before any parser does, so a file that is not of the expected format at all gets a
    /// message that says so (instead of the parser's complaint about an "old PyTorch format" or a header length).
    /// </summary>
    private void CheckHeader()
    {
        string name = System.IO.Path.GetFileName(Path);
        long length = new FileInfo(Path).Length;
        Span<byte> head = stackalloc byte[16];
        int read;
        using (var stream = File.OpenRead(Path))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        head = head[..read];
        if (Format == WeightsFormat.SafeTensors)
        {
            // safetensors: an 8-byte little-endian header length, then that many bytes of JSON starting with '{'.
            if (read < 10)
            {
                throw new InvalidDataException($"'{name}' is not a safetensors file: it has only {length} bytes (a safetensors file starts with an 8-byte header length and a JSON header).");
            }

            ulong headerLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(head);
            if (headerLength < 2 || headerLength > (ulong)(length - 8) || headerLength > SafeTensorsMaxHeaderBytes)
            {
                throw new InvalidDataException(
                    $"'{name}' is not a safetensors file (or is truncated): its first 8 bytes give a header of {headerLength:N0} bytes, but the file holds {length:N0} bytes.");
            }

            if (head[8] != (byte)'{')
            {
                throw new InvalidDataException($"'{name}' is not a safetensors file: its header does not start with a JSON object.");
            }

            return;
        }

        if (length == 0)
        {
            throw new InvalidDataException($"'{name}' is empty (0 bytes), not a PyTorch state dict.");
        }

        bool zip = read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4;
        if (zip)
        {
            CheckTorchZip(name);
            return;
        }

        // Legacy torch.save (before PyTorch 1.6): a pickle (protocol 2 or later) whose first object is the magic number.
        bool pickle = read >= 2 && head[0] == 0x80 && head[1] is >= 2 and <= 5;
        if (pickle)
        {
            throw new InvalidDataException(
                $"'{name}' is a legacy (pre-1.6, non-zip) PyTorch file, which is not supported: re-save it with torch.save(torch.load(path), new_path) in a recent PyTorch.");
        }

        throw new InvalidDataException(
            $"'{name}' is not a PyTorch state dict: a .pth/.pt file written by torch.save is a zip archive (it starts with 'PK'), but this file starts with bytes {Convert.ToHexString(head[..Math.Min(read, 8)])} ({length:N0} bytes in all). It may be damaged or of another format.");
    }

    /// <inheritdoc/>
    /// <exception cref="WeightsMismatchException">Keys are missing, unexpected or mis-shaped; nothing is loaded.</exception>
    public override void LoadInto(BackboneModule backbone, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        cancellationToken.ThrowIfCancellationRequested();
        var tensors = ReadStateDict();
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            StateDictLoader.Load(backbone, tensors, System.IO.Path.GetFileName(Path), SkipClassifier);
        }
        finally
        {
            StateDictLoader.DisposeAll(tensors);
        }
    }

    /// <summary>Writes a module's state dict (for example a <see cref="BackboneModule"/>) in PyTorch (<c>torch.load</c>-able) or safetensors format, through a temporary file.</summary>
    /// <param name="module">The module.</param>
    /// <param name="path">Destination file.</param>
    /// <param name="format"><see cref="WeightsFormat.PyTorch"/> or <see cref="WeightsFormat.SafeTensors"/>.</param>
    public static void Save(nn.Module module, string path, WeightsFormat format = WeightsFormat.PyTorch)
    {
        ArgumentNullException.ThrowIfNull(module);
        Save(module.state_dict(), path, format);
    }

    /// <summary>Writes a name -> tensor dictionary in PyTorch or safetensors format, through a temporary file.</summary>
    /// <param name="stateDict">The tensors.</param>
    /// <param name="path">Destination file.</param>
    /// <param name="format"><see cref="WeightsFormat.PyTorch"/> or <see cref="WeightsFormat.SafeTensors"/>.</param>
    public static void Save(IReadOnlyDictionary<string, Tensor> stateDict, string path, WeightsFormat format = WeightsFormat.PyTorch)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (format is not (WeightsFormat.PyTorch or WeightsFormat.SafeTensors))
        {
            throw new ArgumentException($"Save writes PyTorch or SafeTensors files, not {format}.", nameof(format));
        }

        string full = System.IO.Path.GetFullPath(path);
        Persistence.StaleTempFiles.Remove(full);
        string temp = Persistence.StaleTempFiles.NewTempPath(full);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                if (format == WeightsFormat.SafeTensors)
                {
                    Safetensors.SaveStateDict(stream, stateDict.ToDictionary(kv => kv.Key, kv => kv.Value), leaveOpen: true);
                }
                else
                {
                    var table = new Hashtable();
                    foreach (var (key, value) in stateDict)
                    {
                        table[key] = value;
                    }

                    PyTorchPickler.PickleStateDict(stream, table, leaveOpen: true);
                }
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
