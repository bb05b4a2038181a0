namespace TransferLearning.Cli.Serving;

/// <summary>Settings of a <see cref="PredictionServer"/>: where it listens and the limits every request is held to.</summary>
public sealed record ServeOptions
{
    /// <summary>Address to listen on. Default <c>127.0.0.1</c> (this machine only); give <c>0.0.0.0</c> to accept other machines.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one. Default 5080.</summary>
    public int Port { get; init; } = 5080;

    /// <summary>Requests to <c>/predict</c> processed at once (decoding in parallel; forward passes one at a time). Default 4.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Requests to <c>/predict</c> that may wait for a free slot; beyond that the server answers 503. Default 32.</summary>
    public int QueueLength { get; init; } = 32;

    /// <summary>Longest time a request may take, from its arrival (waiting in the queue and reading the upload included). Default 30 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest accepted upload, in bytes. Default 20 MiB.</summary>
    public long MaxUploadBytes { get; init; } = 20L * 1024 * 1024;

    /// <summary>Largest accepted image, width x height as stored in the file (checked before decoding). Default 40,000,000.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Classes listed per prediction unless the request asks for fewer or more (<c>?top=K</c>). Default 5.</summary>
    public int TopK { get; init; } = 5;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Host, nameof(Host));
        ArgumentOutOfRangeException.ThrowIfNegative(Port, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConcurrency, nameof(MaxConcurrency));
        ArgumentOutOfRangeException.ThrowIfNegative(QueueLength, nameof(QueueLength));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxUploadBytes, nameof(MaxUploadBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPixels, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TopK, nameof(TopK));
    }
}
