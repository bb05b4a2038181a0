using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TransferLearning.Weights;

/// <summary>
/// The local cache of pretrained weight files (like torch.hub's checkpoint folder and Keras' <c>~/.keras/models</c>):
/// resolves a <see cref="PretrainedWeightsInfo"/> to a file, downloading it when needed with SHA-256 verification, a
/// stall timeout, cancellation and progress. A download goes to a temporary file in the cache folder and is renamed
/// into place only when complete and verified; a failed, cancelled or mismatched download leaves nothing behind.
/// </summary>
public sealed class WeightStore
{
    private const int BufferSize = 1 << 16;
    private static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient { Timeout = Timeout.InfiniteTimeSpan });
    private static readonly Lazy<WeightStore> DefaultStore = new(() => new WeightStore());
    private readonly ILogger logger;

    /// <summary>Creates a store.</summary>
    /// <param name="options">Settings; default <c>new WeightStoreOptions()</c>.</param>
    /// <param name="logger">Logger for downloads; default none.</param>
    public WeightStore(WeightStoreOptions? options = null, ILogger? logger = null)
    {
        Options = options ?? new WeightStoreOptions();
        Options.Validate();
        CacheFolder = Options.ResolvedCacheFolder;
        this.logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The store with default options (cache folder from <c>TRANSFERLEARNING_WEIGHTS</c> or local application data).</summary>
    public static WeightStore Default => DefaultStore.Value;

    /// <summary>The settings.</summary>
    public WeightStoreOptions Options { get; }

    /// <summary>Full path of the cache folder (created on the first download).</summary>
    public string CacheFolder { get; }

    /// <summary>Where the file of <paramref name="info"/> lives in the cache (whether or not it is there).</summary>
    /// <param name="info">The weights.</param>
    public string GetCachePath(PretrainedWeightsInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.FileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || info.FileName is "." or "..")
        {
            throw new ArgumentException($"'{info.FileName}' is not a plain file name.", nameof(info));
        }

        return Path.Combine(CacheFolder, info.FileName);
    }

    /// <summary>Whether the file of <paramref name="info"/> is in the cache.</summary>
    /// <param name="info">The weights.</param>
    public bool IsCached(PretrainedWeightsInfo info) => File.Exists(GetCachePath(info));

    /// <summary>Returns the cached file of <paramref name="info"/>, downloading it first when it is missing.</summary>
    /// <param name="info">The weights.</param>
    /// <param name="progress">Receives download progress; optional.</param>
    /// <param name="cancellationToken">Cancels the download (the partial file is deleted).</param>
    /// <returns>Full path of the verified file.</returns>
    /// <exception cref="WeightsNotFoundException">Not cached and downloads are disabled or impossible (the message says where to put the file).</exception>
    /// <exception cref="WeightsDownloadException">The download failed or did not verify.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public async Task<string> ResolveAsync(PretrainedWeightsInfo info, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string path = GetCachePath(info);
        if (File.Exists(path))
        {
            return path;
        }

        if (info.Url is null || !Options.AllowDownload)
        {
            throw NotFound(info, path, null);
        }

        try
        {
            return await DownloadAsync(info, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (WeightsDownloadException e)
        {
            // Offline, a refused connection, a proxy or a bad server: the same way out as for a file that is not cached.
            throw new WeightsDownloadException($"{e.Message.TrimEnd()} {OfflineGuidance(info, path)}", e.Url, e.InnerException);
        }
    }

    /// <summary>Synchronous <see cref="ResolveAsync"/>.</summary>
    /// <param name="info">The weights.</param>
    /// <param name="progress">Receives download progress; optional.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    public string Resolve(PretrainedWeightsInfo info, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => ResolveAsync(info, progress, cancellationToken), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Downloads the file of <paramref name="info"/> into the cache, verifying its SHA-256 (a full digest or, as torchvision's
    /// file names carry, a prefix of at least 8 hex digits) and size, and replaces the cached copy only after verification.
    /// </summary>
    /// <param name="info">The weights; <see cref="PretrainedWeightsInfo.Url"/> must be set.</param>
    /// <param name="progress">Receives download progress; optional.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>Full path of the verified file.</returns>
    public async Task<string> DownloadAsync(PretrainedWeightsInfo info, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        var url = info.Url ?? throw new ArgumentException($"Weights '{info.FileName}' have no download address.", nameof(info));
        if (info.Sha256 is not null && !FileHash.IsValidExpected(info.Sha256))
        {
            throw new ArgumentException($"Weights '{info.FileName}': Sha256 '{info.Sha256}' is not 8 to 64 hex digits.", nameof(info));
        }

        string path = GetCachePath(info);
        Directory.CreateDirectory(CacheFolder);
        string temp = Path.Combine(CacheFolder, $".{info.FileName}.{Guid.NewGuid():N}.partial");
        var client = Options.HttpClient ?? SharedClient.Value;
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        logger.LogInformation("Downloading {File} from {Url} into {Folder}", info.FileName, url, CacheFolder);
        try
        {
            stall.CancelAfter(Options.StallTimeout);
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new WeightsDownloadException(
                    $"Downloading '{info.FileName}' from {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.", url);
            }

            long? total = response.Content.Headers.ContentLength ?? info.SizeBytes;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long received = 0;
            await using (var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false))
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, useAsync: true))
            {
                var buffer = new byte[BufferSize];
                while (true)
                {
                    stall.CancelAfter(Options.StallTimeout);
                    int read = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), stall.Token).ConfigureAwait(false);
                    received += read;
                    progress?.Report(new DownloadProgress(info.FileName, received, total));
                }

                await file.FlushAsync(stall.Token).ConfigureAwait(false);
            }

            long? expectedLength = response.Content.Headers.ContentLength ?? info.SizeBytes;
            if (expectedLength is long length && received != length)
            {
                throw new WeightsDownloadException(
                    $"Downloading '{info.FileName}' from {url} stopped after {received:N0} of {length:N0} bytes (truncated).", url);
            }

            string actual = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
            if (info.Sha256 is not null && !FileHash.Matches(actual, info.Sha256))
            {
                throw new WeightsDownloadException(
                    $"'{info.FileName}' from {url} failed verification: SHA-256 {actual} does not start with the published {info.Sha256}. The file was discarded.", url);
            }

            if (info.Sha256 is null)
            {
                logger.LogWarning("No published SHA-256 for {File}; downloaded file has SHA-256 {Sha256}", info.FileName, actual);
            }

            File.Move(temp, path, overwrite: true);
            logger.LogInformation("Downloaded {File} ({Bytes} bytes, SHA-256 {Sha256})", info.FileName, received, actual);
            return path;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WeightsDownloadException(
                $"Downloading '{info.FileName}' from {url} stalled: nothing received for {Options.StallTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s.",
                url,
                new TimeoutException("The download stalled.", e));
        }
        catch (HttpRequestException e)
        {
            throw new WeightsDownloadException($"Downloading '{info.FileName}' from {url} failed: {e.Message}", url, e);
        }
        catch (IOException e) when (e is not WeightsDownloadException)
        {
            throw new WeightsDownloadException($"Downloading '{info.FileName}' from {url} failed: {e.Message}", url, e);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>
    /// Copies a file obtained by other means (for example on a machine without internet) into the cache after checking its
    /// SHA-256 against <see cref="PretrainedWeightsInfo.Sha256"/>; goes through a temporary file, so a bad file never
    /// reaches the cache.
    /// </summary>
    /// <param name="info">The weights the file should be.</param>
    /// <param name="sourcePath">The file to import.</param>
    /// <returns>Full path of the cached file.</returns>
    /// <exception cref="InvalidDataException">The file's SHA-256 does not match.</exception>
    public string Import(PretrainedWeightsInfo info, string sourcePath)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourcePath);
        if (!File.Exists(sourcePath))
        {
            throw new FileNotFoundException($"File to import '{Path.GetFullPath(sourcePath)}' does not exist.", sourcePath);
        }

        string actual = FileHash.Sha256(sourcePath);
        if (info.Sha256 is not null && !FileHash.Matches(actual, info.Sha256))
        {
            throw new InvalidDataException($"'{sourcePath}' is not '{info.FileName}': its SHA-256 {actual} does not start with the published {info.Sha256}.");
        }

        string path = GetCachePath(info);
        Directory.CreateDirectory(CacheFolder);
        string temp = Path.Combine(CacheFolder, $".{info.FileName}.{Guid.NewGuid():N}.partial");
        try
        {
            File.Copy(sourcePath, temp);
            File.Move(temp, path, overwrite: true);
            return path;
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>The exception for weights that are not cached and cannot be downloaded.</summary>
    /// <param name="info">The weights.</param>
    /// <param name="path">Where the file should be.</param>
    /// <param name="inner">The download failure, if any.</param>
    internal WeightsNotFoundException NotFound(PretrainedWeightsInfo info, string path, Exception? inner)
    {
        string from = string.IsNullOrEmpty(info.Origin) ? "" : $" ({info.Origin})";
        string why = info.Url is null ? "it has no download address" : "downloads are disabled (WeightStoreOptions.AllowDownload = false)";
        return new WeightsNotFoundException(
            $"Weights '{info.FileName}'{from} are not in the cache and {why}. {OfflineGuidance(info, path)}",
            info.FileName,
            new[] { path },
            inner);
    }

    /// <summary>How to get a file into the cache by hand: where it comes from, where it goes, how to move the cache.</summary>
    private static string OfflineGuidance(PretrainedWeightsInfo info, string path)
    {
        string origin = info.Url is not null ? $"download '{info.FileName}' from {info.Url}" : $"get '{info.FileName}' (it is not downloadable)";
        return $"To use them offline, {origin}" +
               (info.Sha256 is null ? "" : $" (SHA-256 starts with {info.Sha256})") +
               $" and put the file at '{path}' or call WeightStore.Import (cache folder: set {WeightStoreOptions.CacheFolderVariable} or WeightStoreOptions.CacheFolder to change it).";
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover *.partial file is never mistaken for a cached file.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}
