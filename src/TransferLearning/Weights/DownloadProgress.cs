namespace TransferLearning.Weights;

/// <summary>Progress of a weights download.</summary>
/// <param name="FileName">File being downloaded.</param>
/// <param name="BytesReceived">Bytes received so far.</param>
/// <param name="TotalBytes">Total size when the server or the catalogue gives it, else <see langword="null"/>.</param>
public readonly record struct DownloadProgress(string FileName, long BytesReceived, long? TotalBytes)
{
    /// <summary>Fraction done in 0..1, or <see langword="null"/> when the total is unknown.</summary>
    public double? Fraction => TotalBytes is > 0 ? Math.Min(1.0, (double)BytesReceived / TotalBytes.Value) : null;
}
