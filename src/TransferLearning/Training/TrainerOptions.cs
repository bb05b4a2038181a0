using Microsoft.Extensions.Logging;

namespace TransferLearning.Training;

/// <summary>Settings of a <see cref="Trainer"/> that hold for every phase.</summary>
public sealed record TrainerOptions
{
    /// <summary>
    /// Seed of TorchSharp's generator, set at the start of every fit (dropout, head initialisation done later), so that
    /// CPU runs with the same data order repeat exactly. Default <see langword="null"/> (not seeded).
    /// </summary>
    public long? Seed { get; init; }

    /// <summary>Loss settings. Default: plain cross-entropy.</summary>
    public LossOptions Loss { get; init; } = new();

    /// <summary>Clip the global L2 norm of the gradients to this value, or <see langword="null"/> for no clipping. Default null.</summary>
    public double? GradientClipNorm { get; init; }

    /// <summary>Feature cache settings. Default: enabled, 1 GiB in memory.</summary>
    public FeatureCacheOptions FeatureCache { get; init; } = new();

    /// <summary>The k of the validation top-k accuracy. Default 5 (clamped to the class count).</summary>
    public int TopK { get; init; } = 5;

    /// <summary>
    /// Metric that defines the "best weights so far" returned on cancellation (see <see cref="EpochRecord.GetMetric"/>).
    /// Default "val_loss" (falls back to "train_loss" without validation data).
    /// </summary>
    public string Monitor { get; init; } = "val_loss";

    /// <summary>
    /// On cancellation, put back the weights of the best completed epoch by <see cref="Monitor"/> (kept as an in-memory
    /// copy, which costs one model's worth of memory). Default true. When false, or before any epoch completed, the model
    /// keeps the weights of the last completed step.
    /// </summary>
    public bool RestoreBestWeightsOnCancel { get; init; } = true;

    /// <summary>Logger for phase and epoch summaries. Default none.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Minimum interval between two progress reports. Default 0 (every batch).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.Zero;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is invalid.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Loss, nameof(Loss));
        ArgumentNullException.ThrowIfNull(FeatureCache, nameof(FeatureCache));
        Loss.Validate();
        FeatureCache.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TopK, nameof(TopK));
        ArgumentException.ThrowIfNullOrWhiteSpace(Monitor, nameof(Monitor));
        if (GradientClipNorm is double clip && !(clip > 0 && !double.IsInfinity(clip)))
        {
            throw new ArgumentOutOfRangeException(nameof(GradientClipNorm), clip, "The clipping norm must be positive and finite.");
        }

        if (ProgressInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ProgressInterval), ProgressInterval, "The interval must not be negative.");
        }
    }
}
