namespace TransferLearning.Data;

/// <summary>An image file could not be decoded; <see cref="Reason"/> says why.</summary>
public sealed class ImageDecodeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ImageDecodeException()
        : this(BadFileReason.Corrupt, null, "The image could not be decoded.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public ImageDecodeException(string message)
        : this(BadFileReason.Corrupt, null, message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ImageDecodeException(string message, Exception innerException)
        : this(BadFileReason.Corrupt, null, message, innerException)
    {
    }

    /// <summary>Creates the exception with a reason, the file and a message.</summary>
    /// <param name="reason">Why the file cannot be used.</param>
    /// <param name="path">The file, or <see langword="null"/> for in-memory data.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ImageDecodeException(BadFileReason reason, string? path, string message, Exception? innerException = null)
        : base(path is null ? message : $"{path}: {message}", innerException)
    {
        Reason = reason;
        Path = path;
    }

    /// <summary>Why the file cannot be used.</summary>
    public BadFileReason Reason { get; }

    /// <summary>The file, or <see langword="null"/> for in-memory data.</summary>
    public string? Path { get; }
}
