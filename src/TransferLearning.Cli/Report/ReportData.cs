using TransferLearning.Cli.Output;
using TransferLearning.Data;
using TransferLearning.Metrics;

namespace TransferLearning.Cli.Report;

/// <summary>One evaluated image: its label, the model's probabilities and its cross-entropy loss.</summary>
/// <param name="Path">Image file.</param>
/// <param name="Label">True class index.</param>
/// <param name="Probabilities">Class probabilities, in model output order.</param>
internal sealed record SampleResult(string Path, int Label, float[] Probabilities)
{
    /// <summary>Predicted class (most probable; the lower index on ties).</summary>
    public int Predicted
    {
        get
        {
            int best = 0;
            for (int j = 1; j < Probabilities.Length; j++)
            {
                if (Probabilities[j] > Probabilities[best])
                {
                    best = j;
                }
            }

            return best;
        }
    }

    /// <summary>Cross-entropy of the true class.</summary>
    public double Loss => -Math.Log(Math.Max(Probabilities[Label], 1e-12f));
}

/// <summary>A pair of classes the model confuses (fastai's <c>most_confused</c>).</summary>
/// <param name="Actual">True class.</param>
/// <param name="Predicted">Predicted class.</param>
/// <param name="Count">Number of images.</param>
internal sealed record ConfusedPair(string Actual, string Predicted, long Count);

/// <summary>Everything <c>report.html</c> shows.</summary>
internal sealed record ReportData
{
    /// <summary>Page title.</summary>
    public required string Title { get; init; }

    /// <summary>What was evaluated ("validation set of ...", a folder).</summary>
    public required string DataDescription { get; init; }

    /// <summary>Run settings, in display order.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Settings { get; init; }

    /// <summary>Timings (label, seconds), in display order.</summary>
    public required IReadOnlyList<KeyValuePair<string, double>> Timings { get; init; }

    /// <summary>Training history, or null when the report is not about a training run.</summary>
    public IReadOnlyList<EpochPoint>? History { get; init; }

    /// <summary>Metrics over <see cref="Samples"/>.</summary>
    public required ClassificationMetrics Metrics { get; init; }

    /// <summary>Per-image results.</summary>
    public required IReadOnlyList<SampleResult> Samples { get; init; }

    /// <summary>Images skipped as unreadable, with their reasons.</summary>
    public required IReadOnlyList<BadFileEntry> Skipped { get; init; }

    /// <summary>Number of top losses shown.</summary>
    public int TopLosses { get; init; } = 24;

    /// <summary>When the report was made.</summary>
    public DateTimeOffset Generated { get; init; } = DateTimeOffset.UtcNow;
}
