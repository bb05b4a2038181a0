using SkiaSharp;

namespace TransferLearning.Data;

/// <summary>How <see cref="ImageDecoder"/> decodes an image.</summary>
public sealed record ImageDecodeOptions
{
    /// <summary>
    /// When set, the image may be decoded reduced (JPEG/WebP scaled decoding, or row/column subsampling with box
    /// averaging for other formats) as long as its shorter side stays at least this many pixels. Default
    /// <see langword="null"/>: full size (subject to <see cref="MaxDecodedPixels"/>).
    /// </summary>
    public int? TargetShorterSide { get; init; }

    /// <summary>
    /// When set, the decoded image's longer side is at most this many pixels (the image is decoded reduced, then resized
    /// if still larger). Default <see langword="null"/>: no limit.
    /// </summary>
    public int? MaxSide { get; init; }

    /// <summary>
    /// Largest number of pixels of the decoded bitmap; larger images are decoded reduced to fit, so that a 20000x30000
    /// image never allocates gigabytes. Default 16,777,216 (64 MiB of RGBA).
    /// </summary>
    public long MaxDecodedPixels { get; init; } = 1L << 24;

    /// <summary>
    /// Largest number of pixels (width x height, as stored in the file) accepted at all; larger images fail with
    /// <see cref="BadFileReason.TooLarge"/>. Guards against decompression bombs and hours-long decodes. Default
    /// 1,000,000,000.
    /// </summary>
    public long MaxPixels { get; init; } = 1_000_000_000;

    /// <summary>
    /// Largest file accepted, in bytes; larger files (and anything that is not a regular file) are never read and fail
    /// with <see cref="BadFileReason.TooLarge"/>. Default 268,435,456 (256 MiB).
    /// </summary>
    public long MaxFileBytes { get; init; } = 256L << 20;

    /// <summary>Colour that transparent pixels are composited on. Default white (as browsers and PIL's convert show them).</summary>
    public SKColor Background { get; init; } = SKColors.White;

    /// <summary>Whether the EXIF orientation is applied (the image is rotated/flipped upright). Default <see langword="true"/>.</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    /// <summary>The defaults.</summary>
    public static ImageDecodeOptions Default { get; } = new();

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> when one is out of range.</summary>
    public void Validate()
    {
        if (TargetShorterSide is { } t)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(t, nameof(TargetShorterSide));
        }

        if (MaxSide is { } m)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m, nameof(MaxSide));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxDecodedPixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFileBytes, Array.MaxLength);
    }
}
