namespace TransferLearning.Persistence;

/// <summary>
/// The one exception <see cref="TransferModelFile"/> throws when a model file cannot be loaded: it is truncated,
/// corrupted (checksum mismatch), of an unsupported format version, not a TransferLearning model file at all, or
/// describes an architecture this library cannot rebuild (unknown backbone, tensor shapes that do not match).
/// No model is returned when it is thrown. I/O errors opening the file (missing file, no permission) are not wrapped.
/// </summary>
public sealed class ModelFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelFileException()
        : base("The model file is invalid.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong with the file.</param>
    public ModelFileException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong with the file.</param>
    /// <param name="innerException">The underlying error.</param>
    public ModelFileException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The file the error concerns, when loading from a path.</summary>
    public string? FilePath { get; init; }
}
