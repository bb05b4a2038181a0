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
    private readonly ImageTransform transform;
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
        transform = ImageTransform.ForEvaluation(model.Preprocessing);
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

    /// <summary>
    /// How files, streams and bytes are decoded: the evaluation transform's <see cref="ImageTransform.DecodeOptions"/>,
    /// the same as the <see cref="DataLoader"/> of training, evaluation and the learning-rate finder uses, so that a
    /// prediction sees exactly the pixels that training and evaluation saw.
    /// </summary>
    public ImageDecodeOptions DecodeOptions => transform.DecodeOptions;

    /// <summary>Classifies an image file.</summary>
    /// <param name="path">The image file.</param>
    /// <exception cref="ImageDecodeException">The file is not a decodable image.</exception>
    public ImagePrediction Predict(string path)
    {
        using var bitmap = ImageDecoder.Decode(path, DecodeOptions);
        return Predict(bitmap);
    }

    /// <summary>Classifies an encoded image read from a stream (read to its end).</summary>
    /// <param name="stream">The stream.</param>
    /// <exception cref="ImageDecodeException">The data is not a decodable image.</exception>
    public ImagePrediction Predict(Stream stream)
    {
        using var bitmap = ImageDecoder.Decode(stream, DecodeOptions);
        return Predict(bitmap);
    }

    /// <summary>Classifies an encoded image (PNG, JPEG, ...).</summary>
    /// <param name="encoded">The encoded bytes.</param>
    /// <exception cref="ImageDecodeException">The data is not a decodable image.</exception>
    public ImagePrediction Predict(byte[] encoded)
    {
        using var bitmap = ImageDecoder.Decode(encoded, DecodeOptions);
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
                    bitmaps[i] = ImageDecoder.Decode(chunk[i], DecodeOptions);
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
            var batch = ToTensor(chunk.Select(b => b ?? throw new ArgumentException("An image is null.", nameof(images))).ToArray());
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

        // The same loader as training and tl evaluate: the same decoding, transform and bad-file handling.
        var mapped = new ImageDataset(ClassNames, samples.Select(s => new ImageSample(s.Path, s.Label)));
        var loader = new DataLoader(mapped, transform, new DataLoaderOptions { BatchSize = Options.BatchSize, Shuffle = false });
        var accumulator = new MetricsAccumulator(ClassNames, Math.Min(Options.TopK, ClassNames.Count));
        foreach (var batch in loader.GetBatches(0, cancellationToken))
        {
            using (batch)
            {
                using var scope = NewDisposeScope();
                var probabilities = Probabilities(batch.Images);
                var picked = probabilities.gather(1, batch.Labels.unsqueeze(1)).clamp_min(1e-12).log().sum();
                accumulator.Add(probabilities, batch.Labels, -picked.item<float>());
            }
        }

        var skipped = dataset.ListingSkips.Concat(loader.Report.Entries).ToArray();
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

    /// <summary>
    /// Classifies many image files through the training data pipeline (<see cref="DataLoader"/>: decoding on worker
    /// threads, the model's evaluation transform, batches of <see cref="PredictorOptions.BatchSize"/>) and yields one
    /// result per file, in the order given, as soon as its batch is done. Memory does not grow with the number of files
    /// beyond the list of paths: files are read in groups of <paramref name="groupSize"/>. A file that cannot be used
    /// (not an image, damaged, a pipe or device, too large) is yielded with its reason instead of a prediction.
    /// </summary>
    /// <param name="paths">The image files.</param>
    /// <param name="groupSize">Files per loader pass; bounds the bookkeeping held at a time. Default 1024.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public IEnumerable<FilePrediction> PredictFiles(IEnumerable<string> paths, int groupSize = 1024, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groupSize);
        return PredictFilesCore(paths, groupSize, cancellationToken);
    }

    private IEnumerable<FilePrediction> PredictFilesCore(IEnumerable<string> paths, int groupSize, CancellationToken cancellationToken)
    {
        foreach (var group in paths.Chunk(groupSize))
        {
            var dataset = new ImageDataset(ClassNames, group.Select(p => new ImageSample(Path.GetFullPath(p), 0)));
            var loader = new DataLoader(dataset, transform, new DataLoaderOptions { BatchSize = Options.BatchSize, Shuffle = false });
            var next = 0;
            foreach (var batch in loader.GetBatches(0, cancellationToken))
            {
                List<ImagePrediction> predictions;
                using (batch)
                {
                    using var scope = NewDisposeScope();
                    predictions = ToPredictions(Probabilities(batch.Images));
                }

                for (var i = 0; i < batch.Indices.Count; i++)
                {
                    var index = batch.Indices[i];
                    for (; next < index; next++)
                    {
                        yield return Skipped(loader, group, next);
                    }

                    yield return new FilePrediction(group[index], predictions[i], null);
                    next = index + 1;
                }
            }

            for (; next < group.Length; next++)
            {
                yield return Skipped(loader, group, next);
            }
        }

        static FilePrediction Skipped(DataLoader loader, string[] group, int index) =>
            new(group[index], null, loader.Report.Find(index) ?? new BadFileEntry(group[index], index, BadFileReason.Unreadable, $"{group[index]}: could not be read."));
    }

    private Tensor ToTensor(IReadOnlyList<SKBitmap> images)
    {
        var per = transform.ValuesPerImage;
        var values = new float[(long)per * images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            transform.Apply(images[i], null, values.AsSpan(i * per, per));
        }

        return tensor(values, new long[] { images.Count, 3, transform.InputSize, transform.InputSize });
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
