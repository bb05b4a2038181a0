using SkiaSharp;
using TorchSharp;
using TransferLearning.Data;
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
    private static readonly string[] ImageExtensions = { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" };
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
    /// <exception cref="ModelFileException">The file is not a valid model file.</exception>
    public static Predictor FromFile(string path, PredictorOptions? options = null) =>
        new(TransferModelFile.Load(path), options, ownsModel: true);

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
        using var bitmap = PredictionImages.Decode(path);
        return Predict(bitmap);
    }

    /// <summary>Classifies an encoded image read from a stream (read to its end).</summary>
    /// <param name="stream">The stream.</param>
    /// <exception cref="ImageDecodeException">The data is not a decodable image.</exception>
    public ImagePrediction Predict(Stream stream)
    {
        using var bitmap = PredictionImages.Decode(stream);
        return Predict(bitmap);
    }

    /// <summary>Classifies an encoded image (PNG, JPEG, ...).</summary>
    /// <param name="encoded">The encoded bytes.</param>
    /// <exception cref="ImageDecodeException">The data is not a decodable image.</exception>
    public ImagePrediction Predict(byte[] encoded)
    {
        using var bitmap = PredictionImages.Decode(encoded);
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
                    bitmaps[i] = PredictionImages.Decode(chunk[i]);
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
            var batch = stack(chunk.Select(b => PredictionImages.ToTensor(b ?? throw new ArgumentException("An image is null.", nameof(images)), Model.Preprocessing)).ToArray());
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
        var samples = new List<(string Path, int Label)>();
        foreach (var dir in Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal))
        {
            string name = Path.GetFileName(dir);
            if (!index.TryGetValue(name, out int label))
            {
                throw new ArgumentException(
                    $"Folder '{name}' is not a class of the model. Classes: {string.Join(", ", ClassNames)}.", nameof(root));
            }

            samples.AddRange(Directory.EnumerateFiles(dir)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => (f, label)));
        }

        if (samples.Count == 0)
        {
            throw new ArgumentException($"No images found under '{root}'.", nameof(root));
        }

        int classes = ClassNames.Count;
        var confusion = new long[classes, classes];
        var skipped = new List<SkippedFile>();
        double lossSum = 0;
        long count = 0;
        foreach (var chunk in samples.Chunk(Options.BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var bitmaps = new List<(SKBitmap Bitmap, int Label)>();
            try
            {
                foreach (var (path, label) in chunk)
                {
                    try
                    {
                        bitmaps.Add((PredictionImages.Decode(path), label));
                    }
                    catch (Exception ex) when (ex is ImageDecodeException or IOException or UnauthorizedAccessException)
                    {
                        skipped.Add(new SkippedFile(path, ex.Message));
                    }
                }

                if (bitmaps.Count == 0)
                {
                    continue;
                }

                var predictions = PredictBatch(bitmaps.Select(b => b.Bitmap).ToArray());
                for (int i = 0; i < predictions.Count; i++)
                {
                    int truth = bitmaps[i].Label;
                    confusion[truth, predictions[i].Best.ClassIndex]++;
                    lossSum -= Math.Log(Math.Max(predictions[i].Probabilities[truth], 1e-12f));
                    count++;
                }
            }
            finally
            {
                foreach (var (bitmap, _) in bitmaps)
                {
                    bitmap.Dispose();
                }
            }
        }

        long correct = Enumerable.Range(0, classes).Sum(c => confusion[c, c]);
        return new FolderEvaluation
        {
            ClassNames = ClassNames,
            SampleCount = count,
            Loss = count == 0 ? double.NaN : lossSum / count,
            Accuracy = count == 0 ? double.NaN : (double)correct / count,
            ConfusionMatrix = Enumerable.Range(0, classes)
                .Select(r => (IReadOnlyList<long>)Enumerable.Range(0, classes).Select(c => confusion[r, c]).ToArray()).ToArray(),
            Recall = Enumerable.Range(0, classes).Select(r =>
            {
                long support = Enumerable.Range(0, classes).Sum(c => confusion[r, c]);
                return support == 0 ? double.NaN : (double)confusion[r, r] / support;
            }).ToArray(),
            Skipped = skipped,
        };
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
