using TransferLearning.Backbones;

namespace TransferLearning.Weights;

/// <summary>
/// Base of the weights sources that read one file: checks that the file exists, keeps its full path, and fingerprints
/// it by its SHA-256 (computed on first use), so feature caches and manifests tell two files apart.
/// </summary>
public abstract class WeightsFile : IWeightsSource
{
    private readonly Lazy<string> fingerprint;

    /// <summary>Checks the file and remembers its full path.</summary>
    /// <param name="path">The weights file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    protected WeightsFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(Path))
        {
            throw new ArgumentException($"Weights file '{Path}' is a folder, not a file: give the weights file itself (.pth, .safetensors, .h5, .onnx, .dat).", nameof(path));
        }

        if (!File.Exists(Path))
        {
            throw new FileNotFoundException($"Weights file '{Path}' does not exist.", Path);
        }

        fingerprint = new Lazy<string>(() => FileHash.Sha256(Path));
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <summary>SHA-256 of the file (computed on first use).</summary>
    public string Fingerprint => fingerprint.Value;

    /// <inheritdoc/>
    public abstract void LoadInto(BackboneModule backbone, CancellationToken cancellationToken = default);
}
