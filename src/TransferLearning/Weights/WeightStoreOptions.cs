namespace TransferLearning.Weights;

/// <summary>Settings of a <see cref="WeightStore"/>.</summary>
public sealed record WeightStoreOptions
{
    /// <summary>Environment variable that overrides the default cache folder.</summary>
    public const string CacheFolderVariable = "TRANSFERLEARNING_WEIGHTS";

    /// <summary>
    /// Folder of the cached weight files. Default <see langword="null"/>: <see cref="DefaultCacheFolder"/> (the
    /// <c>TRANSFERLEARNING_WEIGHTS</c> environment variable, else <c>TransferLearning/weights</c> under the user's local
    /// application data).
    /// </summary>
    public string? CacheFolder { get; init; }

    /// <summary>Whether missing files may be downloaded. Default true; false gives a <see cref="WeightsNotFoundException"/> instead.</summary>
    public bool AllowDownload { get; init; } = true;

    /// <summary>
    /// Longest time a download may go without receiving a byte (and the time allowed for the server to answer) before it
    /// fails with a <see cref="TimeoutException"/>. Default 60 s.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>HTTP client for downloads. Default <see langword="null"/>: a shared client owned by the library.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>The cache folder used when <see cref="CacheFolder"/> is not set.</summary>
    public static string DefaultCacheFolder
    {
        get
        {
            string? fromEnvironment = Environment.GetEnvironmentVariable(CacheFolderVariable);
            if (!string.IsNullOrWhiteSpace(fromEnvironment))
            {
                return Path.GetFullPath(fromEnvironment);
            }

            string root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            if (string.IsNullOrEmpty(root))
            {
                root = Path.Combine(Path.GetTempPath(), "TransferLearning-cache");
            }

            return Path.Combine(root, "TransferLearning", "weights");
        }
    }

    /// <summary>The cache folder these options resolve to.</summary>
    public string ResolvedCacheFolder => Path.GetFullPath(CacheFolder ?? DefaultCacheFolder);

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> when one is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(StallTimeout, TimeSpan.Zero, nameof(StallTimeout));
        if (CacheFolder is not null && string.IsNullOrWhiteSpace(CacheFolder))
        {
            throw new ArgumentException("CacheFolder must not be blank.", nameof(CacheFolder));
        }
    }
}
