namespace TransferLearning.Data;

/// <summary>
/// Lists the files below a class folder for <see cref="ImageDataset"/>. Every real folder is read at most once: a link
/// to a folder is followed only when it leads outside the dataset folder (and not to one of its parents) and to a folder
/// not read before; any other folder link is left out and reported as <see cref="BadFileReason.DuplicateFolder"/>, so
/// that a link loop (<c>ln -s .. cls/up</c>) can neither count files twice, give files of one class to another, nor
/// walk without end. Names starting with '.' are ignored; folders that cannot be read are reported.
/// </summary>
internal sealed class FolderWalker
{
    private static readonly EnumerationOptions Enumeration = new()
    {
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    private readonly string realRoot;
    private readonly bool readRoot;
    private readonly HashSet<string> visited;
    private readonly List<BadFileEntry> skipped = new();

    /// <summary>Creates a walker for the dataset folder <paramref name="root"/>.</summary>
    /// <param name="root">The dataset folder.</param>
    /// <param name="readRoot">Whether the root itself is listed (a folder of images) rather than only its class folders.</param>
    public FolderWalker(string root, bool readRoot = false)
    {
        realRoot = Canonical(Path.GetFullPath(root)) ?? Path.GetFullPath(root);
        this.readRoot = readRoot;
        visited = new HashSet<string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        if (!readRoot)
        {
            visited.Add(realRoot);
        }
    }

    /// <summary>Folders and links left out, with the reason.</summary>
    public IReadOnlyList<BadFileEntry> Skipped => skipped;

    /// <summary>The files (not folders) below <paramref name="classFolder"/>, in no particular order.</summary>
    public List<string> ListFiles(string classFolder, bool recursive)
    {
        var files = new List<string>();
        var real = Canonical(classFolder) ?? classFolder;
        if (!readRoot && IsWithin(realRoot, real))
        {
            skipped.Add(new BadFileEntry(classFolder, -1, BadFileReason.DuplicateFolder, $"{classFolder}: links to '{real}', the dataset folder or a folder above it; not read."));
            return files;
        }

        if (!visited.Add(real))
        {
            skipped.Add(new BadFileEntry(classFolder, -1, BadFileReason.DuplicateFolder, $"{classFolder}: is the same folder as one already read ({real}); not read twice."));
            return files;
        }

        var pending = new Stack<(string Path, string Real)>();
        pending.Push((classFolder, real));
        while (pending.Count > 0)
        {
            var (dir, dirReal) = pending.Pop();
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(dir).EnumerateFileSystemInfos("*", Enumeration).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
            {
                skipped.Add(new BadFileEntry(dir, -1, BadFileReason.Unreadable, $"{dir}: the folder cannot be read: {e.Message}"));
                continue;
            }

            foreach (var entry in entries)
            {
                if (entry.Name.StartsWith('.'))
                {
                    continue;
                }

                if (entry is not DirectoryInfo sub)
                {
                    files.Add(entry.FullName);
                    continue;
                }

                if (!recursive)
                {
                    continue;
                }

                string subReal;
                if (sub.LinkTarget is null)
                {
                    subReal = Path.Combine(dirReal, sub.Name);
                }
                else
                {
                    var target = Canonical(sub.FullName);
                    if (target is null)
                    {
                        skipped.Add(new BadFileEntry(sub.FullName, -1, BadFileReason.DuplicateFolder, $"{sub.FullName}: the folder link cannot be resolved (a loop of links); not followed."));
                        continue;
                    }

                    if (IsWithin(target, realRoot) || IsWithin(realRoot, target))
                    {
                        skipped.Add(new BadFileEntry(sub.FullName, -1, BadFileReason.DuplicateFolder, $"{sub.FullName}: links to '{target}', inside the dataset folder or above it; folder links are followed only to folders outside the data, once."));
                        continue;
                    }

                    subReal = target;
                }

                if (!visited.Add(subReal))
                {
                    skipped.Add(new BadFileEntry(sub.FullName, -1, BadFileReason.DuplicateFolder, $"{sub.FullName}: leads to '{subReal}', a folder already read; not read twice."));
                    continue;
                }

                pending.Push((sub.FullName, subReal));
            }
        }

        return files;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or lies below it.</summary>
    private static bool IsWithin(string path, string folder)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var f = Path.TrimEndingDirectorySeparator(folder);
        return path.Equals(f, comparison)
            || (path.StartsWith(f, comparison) && path.Length > f.Length && (path[f.Length] == Path.DirectorySeparatorChar || path[f.Length] == Path.AltDirectorySeparatorChar || f.EndsWith(Path.DirectorySeparatorChar)));
    }

    /// <summary>The path with every link in it resolved (as <c>realpath</c>), or <see langword="null"/> after 40 links (a loop).</summary>
    internal static string? Canonical(string path)
    {
        path = Path.GetFullPath(path);
        var hops = 0;
        while (true)
        {
            var root = Path.GetPathRoot(path) ?? string.Empty;
            var parts = path[root.Length..].Split(new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar }, StringSplitOptions.RemoveEmptyEntries);
            var current = root;
            string? restart = null;
            for (var i = 0; i < parts.Length; i++)
            {
                var next = Path.Combine(current, parts[i]);
                string? link = null;
                try
                {
                    link = new FileInfo(next).LinkTarget;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    link = null;
                }

                if (link is null)
                {
                    current = next;
                    continue;
                }

                if (++hops > 40)
                {
                    return null;
                }

                var target = Path.GetFullPath(link, current);
                restart = Path.Combine(new[] { target }.Concat(parts.Skip(i + 1)).ToArray());
                break;
            }

            if (restart is null)
            {
                return current;
            }

            path = Path.GetFullPath(restart);
        }
    }
}
