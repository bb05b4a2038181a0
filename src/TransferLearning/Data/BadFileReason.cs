namespace TransferLearning.Data;

/// <summary>Why an image file could not be used.</summary>
public enum BadFileReason
{
    /// <summary>The file has zero bytes.</summary>
    Empty,

    /// <summary>The file ends before the image data does (an interrupted download or copy).</summary>
    Truncated,

    /// <summary>The image data is damaged.</summary>
    Corrupt,

    /// <summary>The content is not an image (for example a text or HTML file with an image extension).</summary>
    NotAnImage,

    /// <summary>An image format SkiaSharp does not decode (TIFF, HEIC, AVIF, PSD, ...).</summary>
    Unsupported,

    /// <summary>The file could not be opened or read (missing, no permission, a folder, an I/O error).</summary>
    Unreadable,

    /// <summary>
    /// The image has more pixels than <see cref="ImageDecodeOptions.MaxPixels"/> allows, the file is larger than
    /// <see cref="ImageDecodeOptions.MaxFileBytes"/>, or its format cannot be decoded within the pixel budget.
    /// </summary>
    TooLarge,

    /// <summary>The path names a named pipe, a device or a socket, not a regular file; it is never opened.</summary>
    NotARegularFile,

    /// <summary>A link to a folder that was not followed (it points back into the data or to a folder already read).</summary>
    DuplicateFolder,
}
