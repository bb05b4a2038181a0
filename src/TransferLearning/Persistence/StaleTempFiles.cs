using System.Text.RegularExpressions;

namespace TransferLearning.Persistence;

/// <summary>
/// The temporary files this library writes beside a destination before renaming them over it
/// (<c>.NAME.&lt;32 hex digits&gt;.tmp</c> in the destination's folder), and their cleanup: a process killed while saving
/// (SIGKILL, power loss) leaves one behind; the next save to the same destination removes it.
/// </summary>
/// <remarks>
/// A temporary file is removed only when no process holds it open (every writer keeps its temporary file open with
/// <see cref="FileShare.None"/> until it is complete) and it has not been written for <see cref="MinimumAge"/>, so a save
/// running at the same time in another process is never disturbed.
/// </remarks>
public static class StaleTempFiles
{
    /// <summary>How long a temporary file must have been left unwritten before it counts as stale.</summary>
    public static readonly TimeSpan MinimumAge = TimeSpan.FromSeconds(5);

    /// <summary>The temporary file name for a new write of <paramref name="destination"/> (a hidden, unique name in its folder).</summary>
    /// <param name="destination">Full path of the destination file.</param>
    public static string NewTempPath(string destination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        string full = Path.GetFullPath(destination);
        return Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>Removes the stale temporary files of <paramref name="destination"/> (best effort: errors are ignored).</summary>
    /// <param name="destination">The destination file (it need not exist).</param>
    /// <returns>How many files were removed.</returns>
    public static int Remove(string destination)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        string full = Path.GetFullPath(destination);
        string? directory = Path.GetDirectoryName(full);
        string name = Path.GetFileName(full);
        if (directory is null || name.Length == 0 || !Directory.Exists(directory))
        {
            return 0;
        }

        var pattern = new Regex($"^\\.{Regex.Escape(name)}\\.[0-9a-f]{{32}}\\.tmp$", RegexOptions.CultureInvariant);
        int removed = 0;
        try
        {
            foreach (var candidate in Directory.EnumerateFiles(directory, $".{name}.*.tmp"))
            {
                if (pattern.IsMatch(Path.GetFileName(candidate)) && TryRemove(candidate))
                {
                    removed++;
                }
            }
        }
        catch (IOException)
        {
            // The folder could not be listed: nothing to clean.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }

        return removed;
    }

    private static bool TryRemove(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || (info.Attributes & FileAttributes.ReparsePoint) != 0 || DateTime.UtcNow - info.LastWriteTimeUtc < MinimumAge)
            {
                return false;
            }

            // Fails while a writer still holds the file open (it opened it with FileShare.None).
            using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            {
            }

            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
