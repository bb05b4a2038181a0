using SkiaSharp;
using TorchSharp;
using TransferLearning.Data;
using TransferLearning.Metrics;
using TransferLearning.Persistence;
using static TorchSharp.torch;

namespace TransferLearning.Prediction;

/// <summary>
/// Classifies images with a <see cref="TransferModel"/>: from a file path, a stream, bytes or an <see cref="SKBitmap"/>,
/// one at a time or in batches; returns the top-k classes with names and probabilities; optionally averages over a
/// horizontal flip (test-time augmentation); evaluates a labelled folder.
/// </summary>
/// <remarks>
/// Thread safety: every method may be called from several threads at once. Decoding and preprocessing run in parallel;
/// forward passes are serialised by a lock and run under <c>no_grad</c> with the model in inference mode, so concurrent
/// calls give exactly the results of sequential calls. Do not train the model while a predictor uses it (the predictor
/// puts it back in inference mode before each forward pass).
/// </remarks>
public sealed class Predictor : IDisposable
{
    private readonly object gate = new();
    private readonly bool ownsModel;
    private bool disposed;

    /// <summary>Creates a predictor over a model.</summary>
    /// <param name="model">The model; it is put in inference mode.</param>
    /// <param name="options">Settings. Default: <c>new PredictorOptions()</c>.</param>
    /// <param name="ownsModel">Dispose the model with the predictor. Default false.</param>
    public Predictor(TransferModel model, PredictorOptions? options = null, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new PredictorOptions();
        Options.Validate();
        Model = model;
        this.ownsModel = ownsModel;
        model.eval();
    }

    /// <summary>Loads a model file (see <see cref="TransferModelFile"/>) and creates a predictor that owns the model.</summary>
    /// <param name="path">The model file.</param>
    /// <param name="options">Settings.</param>
    /// <param name="device">Device to run the model on. Default: CPU. See <see cref="ComputeDevice"/>.</param>
    /// <exception cref="ModelFileException">The file is not a valid model file.</exception>
    /// <exception cref="DeviceUnavailableException">A CUDA device was asked for but is not available.</exception>
    public static Predictor FromFile(string path, PredictorOptions? options = null, Device? device = null) =>
        new(TransferModelFile.Load(path, device), options, ownsModel: true);

    /// <summary>The model.</summary>
    public TransferModel Model { get; }

    /// <summary>The settings.</summary>
    public PredictorOptions Options { get; }

    /// <summary>Class names, in model output order.</summary>
    public IReadOnlyList<string> ClassNames => Model.ClassNames;

    /// <summary>Classifies an image file.</summary>
    /// <param name="path">The image file.</param>
    /// <exception cref="ImageDecodeException">The file is not a decodable image.</exception>
    public ImagePrediction Predict(string path)
    {
        using var bitmap = ImageDecoder.Decode(path);
        return Predict(bitmap);
    }

    /// <summary>Classifies an encoded image read from a stream (read to its end).</summary>
    /// <param name="stream">The stream.</param>
    /// <exception cref="ImageDecodeException">The data is not a decodable image.</exception>
    public ImagePrediction Predict(Stream stream)
    {
        using var bitmap = ImageDecoder.Decode(stream);
        return Predict(bitmap);
    }

    /// <summary>Classifies an encoded image (PNG, JPEG, ...).</summary>
    /// <param name="encoded">The encoded bytes.</param>
    /// <exception cref="ImageDecodeException">The data is not a decodable image.</exception>
    public ImagePrediction Predict(byte[] encoded)
    {
        using var bitmap = ImageDecoder.Decode(encoded);
        return Predict(bitmap);
    }

    /// <summary>Classifies a decoded image.</summary>
    /// <param name="image">The image.</param>
    public ImagePrediction Predict(SKBitmap image) => PredictBatch(new[] { image })[0];

    /// <summary>Classifies image files, in batches of <see cref="PredictorOptions.BatchSize"/>.</summary>
    /// <param name="paths">The files.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>One prediction per file, in order.</returns>
    /// <exception cref="ImageDecodeException">A file is not a decodable image.</exception>
    public IReadOnlyList<ImagePrediction> PredictBatch(IEnumerable<string> paths, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var results = new List<ImagePrediction>();
        foreach (var chunk in paths.Chunk(Options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bitmaps = new SKBitmap[chunk.Length];
            try
            {
                for (int i = 0; i < chunk.Length; i++)
                {
                    bitmaps[i] = ImageDecoder.Decode(chunk[i]);
                }

                results.AddRange(PredictBatch(bitmaps));
            }
            finally
            {
                foreach (var b in bitmaps)
                {
                    b?.Dispose();
                }
            }
        }

        return results;
    }

    /// <summary>Classifies decoded images, in batches of <see cref="PredictorOptions.BatchSize"/>.</summary>
    /// <param name="images">The images.</param>
    /// <returns>One prediction per image, in order.</returns>
    public IReadOnlyList<ImagePrediction> PredictBatch(IReadOnlyList<SKBitmap> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var results = new List<ImagePrediction>(images.Count);
        foreach (var chunk in images.Chunk(Options.BatchSize))
        {
            using var scope = NewDisposeScope();
            var batch = ImagePreprocessor.ToTensor(chunk.Select(b => b ?? throw new ArgumentException("An image is null.", nameof(images))).ToArray(), Model.Preprocessing);
            results.AddRange(ToPredictions(Probabilities(batch)));
        }

        return results;
    }

    /// <summary>Class probabilities <c>[N, classes]</c> for already preprocessed images <c>[N, 3, S, S]</c>.</summary>
    /// <param name="images">Preprocessed images, as <see cref="TransferModel.Preprocessing"/> describes.</param>
    /// <returns>A new CPU tensor the caller disposes.</returns>
    public Tensor Probabilities(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        ObjectDisposedException.ThrowIf(disposed, this);
        if (images.dim() != 4 || images.shape[1] != 3)
        {
            throw new ArgumentException($"Expected images [N, 3, S, S]; got [{string.Join(", ", images.shape)}].", nameof(images));
        }

        using var scope = NewDisposeScope();
        lock (gate)
        {
            using var noGrad = no_grad();
            if (Model.training)
            {
                Model.eval();
            }

            var input = images.to(ScalarType.Float32).to(Model.Device);
            var probabilities = nn.functional.softmax(Model.call(input), 1);
            if (Options.FlipTestTimeAugmentation)
            {
                var flipped = nn.functional.softmax(Model.call(input.flip(3)), 1);
                probabilities = (probabilities + flipped) / 2;
            }

            return probabilities.cpu().MoveToOuterDisposeScope();
        }
    }

    /// <summary>
    /// Evaluates a labelled folder: <c>root/&lt;class name&gt;/*.png|jpg|jpeg|bmp|gif|webp</c>. Folder names must be
    /// model class names (classes without a folder are allowed); files that cannot be decoded are skipped and reported.
    /// </summary>
    /// <param name="root">The folder.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">A sub-folder is not a class of the model, or no image was found.</exception>
    public FolderEvaluation EvaluateFolder(string root, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Folder '{root}' does not exist.");
        }

        var index = ClassNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        string? unknown = Directory.GetDirectories(root).Select(Path.GetFileName)
            .FirstOrDefault(n => n is not null && !n.StartsWith('.') && !index.ContainsKey(n));
        if (unknown is not null)
        {
            throw new ArgumentException(
                $"Folder '{unknown}' is not a class of the model. Classes: {string.Join(", ", ClassNames)}.", nameof(root));
        }

        // The same folder rules as training (class folders sorted, image extensions, hidden files ignored).
        ImageDataset dataset;
        try
        {
            dataset = ImageDataset.FromFolder(root, new ImageFolderOptions { AllowSingleClass = true, AllowEmptyClasses = true });
        }
        catch (DatasetException ex)
        {
            throw new ArgumentException(ex.Message, nameof(root), ex);
        }

        var samples = dataset.Samples.Select((s, i) => (s.Path, Label: index[dataset.ClassNames[s.Label]], Index: i)).ToList();
        if (samples.Count == 0)
        {
            throw new ArgumentException($"No images found under '{root}'.", nameof(root));
        }

        int classes = ClassNames.Count;
        var accumulator = new MetricsAccumulator(ClassNames, Math.Min(Options.TopK, classes));
        var skipped = new List<BadFileEntry>();
        foreach (var chunk in samples.Chunk(Options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bitmaps = new List<(SKBitmap Bitmap, int Label)>();
            try
            {
                foreach (var (path, label, sampleIndex) in chunk)
                {
                    try
                    {
                        bitmaps.Add((ImageDecoder.Decode(path), label));
                    }
                    catch (ImageDecodeException ex)
                    {
                        skipped.Add(new BadFileEntry(path, sampleIndex, ex.Reason, ex.Message));
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        skipped.Add(new BadFileEntry(path, sampleIndex, BadFileReason.Unreadable, ex.Message));
                    }
                }

                if (bitmaps.Count == 0)
                {
                    continue;
                }

                var predictions = PredictBatch(bitmaps.Select(b => b.Bitmap).ToArray());
                double lossSum = 0;
                var probabilities = new float[predictions.Count * classes];
                for (int i = 0; i < predictions.Count; i++)
                {
                    for (int c = 0; c < classes; c++)
                    {
                        probabilities[(i * classes) + c] = predictions[i].Probabilities[c];
                    }

                    lossSum -= Math.Log(Math.Max(predictions[i].Probabilities[bitmaps[i].Label], 1e-12f));
                }

                using var scope = NewDisposeScope();
                accumulator.Add(
                    tensor(probabilities).reshape(predictions.Count, classes),
                    tensor(bitmaps.Select(b => (long)b.Label).ToArray()),
                    lossSum);
            }
            finally
            {
                foreach (var (bitmap, _) in bitmaps)
                {
                    bitmap.Dispose();
                }
            }
        }

        return new FolderEvaluation { Metrics = accumulator.ToMetrics(), Skipped = skipped };
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (ownsModel)
        {
            Model.Dispose();
        }
    }

    private List<ImagePrediction> ToPredictions(Tensor probabilities)
    {
        var values = probabilities.data<float>().ToArray();
        int classes = (int)probabilities.shape[1];
        int k = Math.Min(Options.TopK, classes);
        var result = new List<ImagePrediction>();
        for (int row = 0; row < (int)probabilities.shape[0]; row++)
        {
            var p = new float[classes];
            Array.Copy(values, row * classes, p, 0, classes);
            var top = Enumerable.Range(0, classes)
                .OrderByDescending(i => p[i]).ThenBy(i => i)
                .Take(k)
                .Select(i => new ClassScore(ClassNames[i], i, p[i]))
                .ToArray();
            result.Add(new ImagePrediction { Top = top, Probabilities = p });
        }

        return result;
    }
}
