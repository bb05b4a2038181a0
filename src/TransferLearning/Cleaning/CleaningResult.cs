using TransferLearning.Data;

namespace TransferLearning.Cleaning;

/// <summary>What <see cref="DatasetCleaner"/> found: likely label errors, near-duplicates and leaks, with the figures behind them.</summary>
public sealed record CleaningResult
{
    /// <summary>Class names, in label order.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>The analysed images (training images first when a validation set was given).</summary>
    public required IReadOnlyList<ImageSample> Samples { get; init; }

    /// <summary>Per sample: whether it belongs to the validation set.</summary>
    public required IReadOnlyList<bool> IsValidation { get; init; }

    /// <summary>Per sample: out-of-fold class probabilities, or <see langword="null"/> for a skipped (unreadable) image.</summary>
    public required IReadOnlyList<float[]?> OutOfFoldProbabilities { get; init; }

    /// <summary>Per class: the confident-learning threshold (mean out-of-fold probability of the class over images labelled with it).</summary>
    public required IReadOnlyList<double> Thresholds { get; init; }

    /// <summary>Accuracy of the out-of-fold predictions against the given labels.</summary>
    public required double OutOfFoldAccuracy { get; init; }

    /// <summary>Likely label errors, most suspicious (lowest self-confidence) first.</summary>
    public required IReadOnlyList<LabelIssue> LabelIssues { get; init; }

    /// <summary>Near-duplicate pairs, leaks first, then the most similar first.</summary>
    public required IReadOnlyList<DuplicatePair> Duplicates { get; init; }

    /// <summary>Images skipped because they could not be read, with the reasons.</summary>
    public required IReadOnlyList<BadFileEntry> Skipped { get; init; }

    /// <summary>Size of the pooled features the analysis used.</summary>
    public required int FeatureSize { get; init; }

    /// <summary>Whether the features came from a cache file written by an earlier run.</summary>
    public required bool FeaturesReused { get; init; }
}
