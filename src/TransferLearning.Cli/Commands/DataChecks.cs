using System.Globalization;
using Spectre.Console;
using TransferLearning.Data;

namespace TransferLearning.Cli.Commands;

/// <summary>
/// The data checks the commands share: every image decoded once before training (so that counts are the samples really
/// used and a split or class with no readable image is refused up front), skipped files reported per split, and an
/// estimate of memory checked before anything large is allocated.
/// </summary>
internal static class DataChecks
{
    /// <summary>
    /// Floats of activations kept per input pixel and image while training (ResNet-18: stem and four stages, each
    /// convolution with its BatchNorm and ReLU outputs kept for the backward pass; counted from the layer shapes).
    /// A lower bound for wider backbones: the check refuses what cannot fit, it does not promise what can.
    /// </summary>
    private const double TrainingFloatsPerPixel = 140;

    /// <summary>Floats per input pixel and image at inference (the two largest feature maps alive at once).</summary>
    private const double InferenceFloatsPerPixel = 32;

    /// <summary>One skipped file for the JSON output.</summary>
    public sealed record SkippedFile(string Path, string Reason, string Message);

    /// <summary>Decodes every image of a split once; reports what was skipped; returns the readable samples.</summary>
    /// <param name="console">Human output.</param>
    /// <param name="split">"training", "validation", ...</param>
    /// <param name="dataset">The split.</param>
    /// <param name="transform">The transform the loader will use (its decode options are used).</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public static ReadableData Verify(IAnsiConsole console, string split, ImageDataset dataset, ImageTransform transform, CancellationToken cancellationToken)
    {
        ReadableData? result = null;
        console.Status().Start($"Checking {dataset.Count} {split} images...", _ =>
        {
            result = DatasetVerifier.Verify(dataset, transform.DecodeOptions, new DataLoaderOptions().Workers, null, cancellationToken);
        });
        return result!;
    }

    /// <summary>
    /// Refuses a split without any readable image, and (for training data) a class whose every image is unreadable,
    /// with one line that names the split, the counts and an example reason.
    /// </summary>
    public static void RequireReadable(string split, ImageDataset listed, ReadableData checkedData, bool everyClass)
    {
        if (checkedData.Readable.Count == 0)
        {
            throw new DatasetException(string.Create(
                CultureInfo.InvariantCulture,
                $"none of the {listed.Count} {split} images can be read ({Summarise(checkedData.Skipped)}); e.g. {Example(checkedData.Skipped)}"));
        }

        if (!everyClass)
        {
            return;
        }

        var emptied = checkedData.ClassesLeftEmpty(listed);
        if (emptied.Count > 0)
        {
            var names = new HashSet<string>(emptied, StringComparer.Ordinal);
            var example = checkedData.Skipped.FirstOrDefault(s => names.Contains(listed.ClassNames[listed.Samples[s.SampleIndex].Label]));
            throw new DatasetException(string.Create(
                CultureInfo.InvariantCulture,
                $"class(es) without a readable {split} image: {string.Join(", ", emptied)} (every image of the class is unreadable, so it could never be learned); fix or remove the files, or remove the class folder. E.g. {(example is null ? "" : Example(new[] { example }))}"));
        }
    }

    /// <summary>Prints "data folder: 2 folder(s) not read (2 DuplicateFolder)" and one line per folder.</summary>
    public static void ReportListing(IAnsiConsole console, string what, IReadOnlyList<BadFileEntry> skipped)
    {
        if (skipped.Count == 0)
        {
            return;
        }

        console.MarkupLine($"[yellow]{what}: {skipped.Count} folder(s) not read[/] ({Markup.Escape(Summarise(skipped))}):");
        foreach (var entry in skipped.Take(10))
        {
            console.MarkupLine($"  [grey][[{entry.Reason}]][/] {Markup.Escape(entry.Message)}");
        }
    }

    /// <summary>Prints "N of M training files skipped: 3 Empty, 2 NotAnImage" and one line per file (at most <paramref name="maxLines"/>).</summary>
    public static void Report(IAnsiConsole console, string split, int listed, IReadOnlyList<BadFileEntry> skipped, int maxLines = 10)
    {
        if (skipped.Count == 0)
        {
            return;
        }

        console.MarkupLine($"[yellow]{split}: {skipped.Count} of {listed} file(s) skipped[/] ({Markup.Escape(Summarise(skipped))}):");
        foreach (var entry in skipped.Take(maxLines))
        {
            console.MarkupLine($"  [grey][[{entry.Reason}]][/] {Markup.Escape(entry.Message)}");
        }

        if (skipped.Count > maxLines)
        {
            console.MarkupLine($"  [grey]... and {skipped.Count - maxLines} more (--json lists them all)[/]");
        }
    }

    /// <summary>The entries as JSON records.</summary>
    public static SkippedFile[] ForJson(IEnumerable<BadFileEntry> entries) =>
        entries.Select(e => new SkippedFile(e.Path, e.Reason.ToString(), e.Message)).ToArray();

    /// <summary>
    /// Refuses (usage error) a batch size and image size whose buffers and activations cannot fit in the memory
    /// available, before anything is allocated; says how much would be needed.
    /// </summary>
    /// <param name="batchSize">--batch-size.</param>
    /// <param name="imageSize">--image-size (input side).</param>
    /// <param name="samples">Images in the largest split (a batch never holds more).</param>
    /// <param name="training">Whether gradients are kept (train, lr-find) or not (evaluate, predict).</param>
    public static void CheckMemory(int batchSize, int imageSize, int samples, bool training)
    {
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var needed = EstimateBytes(batchSize, imageSize, samples, training);
        if (available > 0 && needed > available)
        {
            throw new CliUsageException(string.Create(
                CultureInfo.InvariantCulture,
                $"--image-size {imageSize} with --batch-size {batchSize} needs about {needed / (1024.0 * 1024 * 1024):F1} GiB of memory (batch buffers and {(training ? "training" : "inference")} activations of {Math.Min(batchSize, samples)} images of {imageSize}x{imageSize}), more than the {available / (1024.0 * 1024 * 1024):F1} GiB available; use a smaller --batch-size or --image-size."));
        }
    }

    /// <summary>The estimate <see cref="CheckMemory"/> uses, in bytes.</summary>
    internal static double EstimateBytes(int batchSize, int imageSize, int samples, bool training)
    {
        var images = (double)Math.Max(1, Math.Min(batchSize, Math.Max(1, samples)));
        var pixels = (double)imageSize * imageSize;
        var buffers = 4 * images * 3 * pixels * sizeof(float) * 2;
        var activations = images * pixels * (training ? TrainingFloatsPerPixel : InferenceFloatsPerPixel) * sizeof(float);
        return buffers + activations;
    }

    private static string Summarise(IReadOnlyList<BadFileEntry> skipped) =>
        string.Join(", ", skipped.GroupBy(e => e.Reason).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key}")));

    private static string Example(IReadOnlyList<BadFileEntry> skipped) => skipped.Count == 0 ? "" : skipped[0].Message;
}
