namespace TransferLearning.Data;

/// <summary>How <see cref="ImageDataset.FromFolder(string, ImageFolderOptions?)"/> lists the images of a class folder.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>
    /// File extensions that count as images (case-insensitive, with the dot). The default covers what SkiaSharp decodes
    /// (JPEG, PNG, WebP, BMP, GIF, ICO) plus common formats it does not (TIFF, HEIC, AVIF), so that those are reported as
    /// skipped with a reason instead of being silently ignored.
    /// </summary>
    public IReadOnlyList<string> Extensions { get; init; } = DefaultExtensions;

    /// <summary>Whether images in nested folders below a class folder belong to that class. Default <see langword="true"/>.</summary>
    public bool Recursive { get; init; } = true;

    /// <summary>Whether a dataset with a single class is accepted (for example a validation folder). Default <see langword="false"/>.</summary>
    public bool AllowSingleClass { get; init; }

    /// <summary>Whether a class folder without any image is accepted (its class keeps its index with a count of zero). Default <see langword="false"/>.</summary>
    public bool AllowEmptyClasses { get; init; }

    /// <summary>The default extensions.</summary>
    public static IReadOnlyList<string> DefaultExtensions { get; } = new[]
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".dib", ".gif", ".ico", ".tif", ".tiff", ".heic", ".heif", ".avif",
    };

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> when one is invalid.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Extensions);
        if (Extensions.Count == 0 || Extensions.Any(e => string.IsNullOrWhiteSpace(e) || e[0] != '.'))
        {
            throw new ArgumentException("Extensions must be a non-empty list of extensions that start with '.'.");
        }
    }
}
