namespace TransferLearning.Data;

/// <summary>
/// A dataset cannot be used for training: missing folder, no images, an empty class folder, a single class, an
/// invalid CSV line. Thrown when the dataset is created, before any training starts.
/// </summary>
public sealed class DatasetException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DatasetException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    public DatasetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What is wrong and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    public DatasetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
