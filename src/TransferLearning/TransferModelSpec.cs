using TransferLearning.Data;
using TransferLearning.Heads;

namespace TransferLearning;

/// <summary>
/// Everything that defines a <see cref="TransferModel"/>'s architecture and use, without its weights: enough to rebuild
/// an identical module and load saved weights into it.
/// </summary>
public sealed record TransferModelSpec
{
    /// <summary>Catalogue id of the backbone.</summary>
    public required string Backbone { get; init; }

    /// <summary>Last block of the base that is kept, or <see langword="null"/> for the full base.</summary>
    public string? TruncateAfter { get; init; }

    /// <summary>Head layout.</summary>
    public required HeadOptions Head { get; init; }

    /// <summary>Class names, in output order.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Square input size in pixels.</summary>
    public required int InputSize { get; init; }

    /// <summary>Preprocessing of input images.</summary>
    public required ImagePreprocessing Preprocessing { get; init; }

    /// <summary>Whether every BatchNorm layer of the base stays in inference mode, even in trainable blocks.</summary>
    public bool KeepBatchNormInInferenceMode { get; init; } = true;

    /// <summary>Description of the initial weights of the base.</summary>
    public string WeightsDescription { get; init; } = "";

    /// <summary>Fingerprint of the initial weights of the base (see <see cref="Weights.IWeightsSource.Fingerprint"/>).</summary>
    public string WeightsFingerprint { get; init; } = "";

    /// <summary>A one-line description: backbone, truncation, input size, classes, head, preprocessing.</summary>
    public override string ToString()
    {
        string classes = ClassNames.Count <= 10 ? string.Join(", ", ClassNames) : string.Join(", ", ClassNames.Take(10)) + ", ...";
        return string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{Backbone}{(TruncateAfter is null ? "" : " cut after " + TruncateAfter)}, input {InputSize}, {ClassNames.Count} classes [{classes}], head {Head}, preprocessing {Preprocessing}");
    }
}
