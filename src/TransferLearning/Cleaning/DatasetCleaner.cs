using System.Security.Cryptography;
using TorchSharp;
using TransferLearning.Data;
using TransferLearning.Training;

namespace TransferLearning.Cleaning;

/// <summary>
/// Finds likely label errors and near-duplicates in a labelled image set from the pooled features of a frozen base
/// (computed once through the feature cache): k linear heads give out-of-fold probabilities, confident learning flags
/// images whose label disagrees with a confident prediction, and cosine similarity of the features finds near-duplicate
/// pairs, flagged as leaks when they straddle the training and validation sets. Nothing is moved or deleted.
/// </summary>
public static class DatasetCleaner
{
    /// <summary>Analyses the images of <paramref name="source"/> (a deterministic loader over the dataset).</summary>
    /// <param name="model">The model whose base gives the features (its head is not used).</param>
    /// <param name="dataset">The images and their labels; <paramref name="source"/> must read exactly these.</param>
    /// <param name="source">Batches of the dataset with an evaluation transform (for example a <see cref="DataLoader"/>, possibly wrapped to count progress).</param>
    /// <param name="isValidation">Per sample: whether it belongs to the validation set; <see langword="null"/> when there is none.</param>
    /// <param name="skipped">Images the source skipped as unreadable (for example <see cref="DataLoader.Report"/> after the pass); read after the features are computed.</param>
    /// <param name="options">Settings; default <c>new CleaningOptions()</c>.</param>
    /// <param name="cancellationToken">Cancels the feature pass and the heads.</param>
    /// <returns>The findings.</returns>
    /// <exception cref="ArgumentException">The source is random or does not match the dataset, or fewer readable images than folds.</exception>
    public static CleaningResult Analyze(
        TransferModel model,
        ImageDataset dataset,
        IBatchSource source,
        IReadOnlyList<bool>? isValidation,
        Func<IReadOnlyList<BadFileEntry>> skipped,
        CleaningOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(skipped);
        options ??= new CleaningOptions();
        options.Validate();
        if (!source.IsDeterministic)
        {
            throw new ArgumentException("The source must be deterministic (an evaluation transform, no augmentation).", nameof(source));
        }

        if (source.SampleCount != dataset.Count)
        {
            throw new ArgumentException($"The source has {source.SampleCount} samples, the dataset {dataset.Count}.", nameof(source));
        }

        if (isValidation is not null && isValidation.Count != dataset.Count)
        {
            throw new ArgumentException("One validation flag per sample is needed.", nameof(isValidation));
        }

        int classes = dataset.ClassNames.Count;
        if (classes < 2)
        {
            throw new ArgumentException("At least two classes are needed to look for label errors.", nameof(dataset));
        }

        string key = FeatureCacheKey.Compute(model, source);
        using var cache = FeatureCache.Build(model, source, options.FeatureCache with { Enabled = true }, key, cancellationToken, out bool computed);
        int n = dataset.Count;
        int f = cache.FeatureSize;
        var present = Enumerable.Range(0, n).Where(cache.IsPresent).ToArray();
        if (present.Length < options.Folds)
        {
            throw new ArgumentException($"Only {present.Length} readable images: at least {options.Folds} (--folds) are needed.", nameof(dataset));
        }

        float[] features;
        using (var scope = torch.NewDisposeScope())
        {
            var (x, _) = cache.Gather(present, torch.CPU);
            features = x.contiguous().data<float>().ToArray();
        }

        var labels = present.Select(i => dataset.Samples[i].Label).ToArray();
        var oof = OutOfFoldProbabilities.Compute(features, f, labels, classes, options, cancellationToken);

        var probabilities = new float[]?[n];
        for (int r = 0; r < present.Length; r++)
        {
            probabilities[present[r]] = oof.AsSpan(r * classes, classes).ToArray();
        }

        var allLabels = dataset.Samples.Select(s => s.Label).ToArray();
        var thresholds = ConfidentLearning.Thresholds(probabilities, allLabels, classes);
        var issues = ConfidentLearning.FindIssues(probabilities, allLabels, thresholds)
            .Select(t => new LabelIssue(
                t.Index,
                dataset.Samples[t.Index].Path,
                allLabels[t.Index],
                t.Suggested,
                probabilities[t.Index]![allLabels[t.Index]],
                probabilities[t.Index]![t.Suggested]))
            .ToArray();
        int correct = present.Count(i => ArgMax(probabilities[i]!) == allLabels[i]);

        var validation = isValidation?.ToArray() ?? new bool[n];
        var pairs = NearDuplicates.Find(features, f, Enumerable.Repeat(true, present.Length).ToArray(), options.DuplicateThreshold, options.MaxDuplicatePairs, cancellationToken);
        var hashes = new Dictionary<int, string>();
        var duplicates = pairs
            .Select(p => (A: present[p.A], B: present[p.B], p.Similarity))
            .Select(p => new DuplicatePair(
                p.A,
                p.B,
                dataset.Samples[p.A].Path,
                dataset.Samples[p.B].Path,
                p.Similarity,
                SameBytes(dataset, hashes, p.A, p.B),
                validation[p.A] != validation[p.B],
                allLabels[p.A] == allLabels[p.B]))
            .OrderByDescending(d => d.IsLeak)
            .ThenByDescending(d => d.Similarity)
            .ThenBy(d => d.IndexA)
            .ThenBy(d => d.IndexB)
            .ToArray();

        return new CleaningResult
        {
            ClassNames = dataset.ClassNames,
            Samples = dataset.Samples,
            IsValidation = validation,
            OutOfFoldProbabilities = probabilities,
            Thresholds = thresholds,
            OutOfFoldAccuracy = (double)correct / present.Length,
            LabelIssues = issues,
            Duplicates = duplicates,
            Skipped = skipped(),
            FeatureSize = f,
            FeaturesReused = !computed,
        };
    }

    private static int ArgMax(float[] p)
    {
        int best = 0;
        for (int j = 1; j < p.Length; j++)
        {
            if (p[j] > p[best])
            {
                best = j;
            }
        }

        return best;
    }

    private static bool SameBytes(ImageDataset dataset, Dictionary<int, string> hashes, int a, int b)
    {
        string? Hash(int i)
        {
            if (hashes.TryGetValue(i, out var h))
            {
                return h;
            }

            try
            {
                using var stream = File.OpenRead(dataset.Samples[i].Path);
                h = Convert.ToHexString(SHA256.HashData(stream));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                h = "unreadable:" + i;
            }

            hashes[i] = h;
            return h;
        }

        return Hash(a) == Hash(b);
    }
}
