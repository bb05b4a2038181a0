namespace TransferLearning.Weights;

/// <summary>
/// Pretrained weights are not on this machine and cannot be downloaded (offline, or downloads disabled). The message
/// names the file, where to put it and where it comes from.
/// </summary>
public sealed class WeightsNotFoundException : FileNotFoundException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Full explanation.</param>
    /// <param name="fileName">File name that was looked for.</param>
    /// <param name="searchedPaths">Every path that was tried, in order.</param>
    /// <param name="innerException">The download failure, if a download was tried.</param>
    public WeightsNotFoundException(string message, string fileName, IReadOnlyList<string> searchedPaths, Exception? innerException = null)
        : base(message, fileName, innerException)
    {
        SearchedPaths = searchedPaths;
    }

    /// <summary>Every path that was tried, in order.</summary>
    public IReadOnlyList<string> SearchedPaths { get; }
}
