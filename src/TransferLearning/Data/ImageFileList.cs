namespace TransferLearning.Data;

/// <summary>The image files found below a folder by <see cref="ImageFileList.FromFolder"/>, and what the listing left out.</summary>
/// <param name="Files">The image files, sorted ordinally by path.</param>
/// <param name="Skipped">Folder links that were not followed and folders that could not be read, each with its reason.</param>
public sealed record ImageFileList(IReadOnlyList<string> Files, IReadOnlyList<BadFileEntry> Skipped)
{
    /// <summary>
    /// Lists the image files below <paramref name="folder"/> (any depth when <see cref="ImageFolderOptions.Recursive"/>)
    /// by the rules of <see cref="ImageDataset.FromFolder"/>: the same extensions, names starting with '.' ignored, and
    /// each real folder read at most once (a link into the folder, above it, or to a folder already read is not followed).
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <param name="options">Listing options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static ImageFileList FromFolder(string folder, ImageFolderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options ??= new ImageFolderOptions();
        options.Validate();
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Folder '{folder}' does not exist.");
        }

        var extensions = new HashSet<string>(options.Extensions, StringComparer.OrdinalIgnoreCase);
        var walker = new FolderWalker(folder, readRoot: true);
        var files = walker.ListFiles(folder, options.Recursive)
            .Where(f => extensions.Contains(Path.GetExtension(f)))
            .Order(StringComparer.Ordinal)
            .ToArray();
        return new ImageFileList(files, walker.Skipped.ToArray());
    }
}
