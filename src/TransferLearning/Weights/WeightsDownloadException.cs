namespace TransferLearning.Weights;

/// <summary>
/// A weights download failed (HTTP error, truncated body, checksum mismatch, stalled server). The cache is left as it
/// was: no partial or unverified file is kept, and an existing file is never replaced.
/// </summary>
public sealed class WeightsDownloadException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="url">The address downloaded from.</param>
    /// <param name="innerException">The underlying error, if any (a <see cref="TimeoutException"/> for a stalled server).</param>
    public WeightsDownloadException(string message, Uri url, Exception? innerException = null)
        : base(message, innerException)
    {
        Url = url;
    }

    /// <summary>The address downloaded from.</summary>
    public Uri Url { get; }
}
