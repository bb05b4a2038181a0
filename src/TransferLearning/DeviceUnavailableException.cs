namespace TransferLearning;

/// <summary>
/// A device was requested that this process cannot use: CUDA without a CUDA build of TorchSharp (reference NuGet
/// <c>TorchSharp-cuda-linux</c> or <c>TorchSharp-cuda-windows</c>), or a GPU index beyond the GPUs present.
/// </summary>
public sealed class DeviceUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was requested and what to do.</param>
    public DeviceUnavailableException(string message) : base(message)
    {
    }
}
