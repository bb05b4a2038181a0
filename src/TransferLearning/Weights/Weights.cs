namespace TransferLearning.Weights;

/// <summary>
/// Where a backbone's weights come from (Keras' <c>weights=</c> argument): <see cref="Random"/>, <see cref="ImageNet"/>
/// or <see cref="FromFile"/>. Pass the result to <c>TransferModelBuilder.WithWeights</c>.
/// </summary>
/// <remarks>
/// Code inside a namespace that starts with <c>TransferLearning.</c> sees the namespace <c>TransferLearning.Weights</c>
/// before this class: write <c>TransferLearning.Weights.Weights.ImageNet</c> there, or add
/// <c>using Weights = TransferLearning.Weights.Weights;</c>.
/// </remarks>
public static class Weights
{
    private static readonly byte[] Hdf5Signature = { 0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A };

    /// <summary>Random initialisation (Keras <c>weights=None</c>).</summary>
    public static IWeightsSource Random => RandomWeights.Instance;

    /// <summary>
    /// ImageNet weights from the default <see cref="WeightStore"/>: <c>resnet18_cntk</c> works offline through NuGet
    /// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>; torchvision backbones come from the cache or are downloaded.
    /// </summary>
    public static IWeightsSource ImageNet { get; } = new ImageNetWeights();

    /// <summary>ImageNet weights from a given store, optionally reporting download progress.</summary>
    /// <param name="store">The weight store.</param>
    /// <param name="progress">Receives download progress; optional.</param>
    public static IWeightsSource ImageNetFrom(WeightStore store, IProgress<DownloadProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new ImageNetWeights(store, progress);
    }

    /// <summary>
    /// Weights from a file, the format taken from <paramref name="format"/>, else from the file's first bytes (zip:
    /// PyTorch; HDF5 signature: Keras; ONNX files by extension), else from the extension (<c>.pth</c>, <c>.pt</c>,
    /// <c>.bin</c>, <c>.safetensors</c>, <c>.h5</c>, <c>.hdf5</c>, <c>.onnx</c>, <c>.dat</c>).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="format">The format, when known.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NotSupportedException">The format cannot be recognised.</exception>
    public static IWeightsSource FromFile(string path, WeightsFormat? format = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"Weights file '{Path.GetFullPath(path)}' is a folder, not a file: give the weights file itself (.pth, .safetensors, .h5, .onnx, .dat).", nameof(path));
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Weights file '{Path.GetFullPath(path)}' does not exist.", path);
        }

        return (format ?? DetectFormat(path)) switch
        {
            WeightsFormat.PyTorch => new PyTorchWeights(path, WeightsFormat.PyTorch),
            WeightsFormat.SafeTensors => new PyTorchWeights(path, WeightsFormat.SafeTensors),
            WeightsFormat.KerasH5 => new KerasH5Weights(path),
            WeightsFormat.Onnx => new OnnxResNetWeights(path),
            WeightsFormat.TorchSharpDat => new TorchSharpDatWeights(path),
            var other => throw new NotSupportedException($"Weights format {other} is not supported."),
        };
    }

    /// <summary>Recognises a weights file's format from its first bytes and its extension.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="NotSupportedException">Unrecognised.</exception>
    public static WeightsFormat DetectFormat(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        Span<byte> head = stackalloc byte[8];
        int read;
        using (var stream = File.OpenRead(path))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        if (read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4)
        {
            return WeightsFormat.PyTorch;
        }

        if (read == 8 && head.SequenceEqual(Hdf5Signature))
        {
            return WeightsFormat.KerasH5;
        }

        return extension switch
        {
            ".pth" or ".pt" or ".bin" => WeightsFormat.PyTorch,
            ".safetensors" => WeightsFormat.SafeTensors,
            ".h5" or ".hdf5" => WeightsFormat.KerasH5,
            ".onnx" => WeightsFormat.Onnx,
            ".dat" => WeightsFormat.TorchSharpDat,
            _ => throw new NotSupportedException(
                $"Cannot tell the format of weights file '{Path.GetFileName(path)}': use .pth/.pt (PyTorch), .safetensors, .h5 (Keras), .onnx or .dat (TorchSharp), or pass the format."),
        };
    }
}
