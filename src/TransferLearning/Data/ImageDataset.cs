using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TransferLearning.Data;

/// <summary>
/// A list of labelled image files with class names (the equivalent of torchvision's <c>ImageFolder</c> and Keras'
/// <c>image_dataset_from_directory</c>). Nothing is decoded here: bad files are found and reported by the
/// <see cref="DataLoader"/>.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Largest CSV/TSV list <see cref="FromCsv"/> reads: 1 GiB.</summary>
    private const long MaxCsvBytes = 1L << 30;

    private readonly int[] classCounts;
    private string? fingerprint;

    /// <summary>Creates a dataset from samples and class names.</summary>
    /// <param name="classNames">Class names; the label of a sample indexes this list.</param>
    /// <param name="samples">The samples.</param>
    /// <exception cref="ArgumentException">Duplicate class names or a label out of range.</exception>
    public ImageDataset(IEnumerable<string> classNames, IEnumerable<ImageSample> samples)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(samples);
        ClassNames = classNames.ToArray();
        if (ClassNames.Count == 0)
        {
            throw new ArgumentException("A dataset needs at least one class name.", nameof(classNames));
        }

        if (ClassNames.Any(string.IsNullOrWhiteSpace) || ClassNames.Distinct(StringComparer.Ordinal).Count() != ClassNames.Count)
        {
            throw new ArgumentException("Class names must be non-empty and distinct.", nameof(classNames));
        }

        Samples = samples.ToArray();
        classCounts = new int[ClassNames.Count];
        foreach (var sample in Samples)
        {
            ArgumentNullException.ThrowIfNull(sample, nameof(samples));
            if ((uint)sample.Label >= (uint)ClassNames.Count)
            {
                throw new ArgumentException($"Sample '{sample.Path}' has label {sample.Label}, outside 0..{ClassNames.Count - 1}.", nameof(samples));
            }

            classCounts[sample.Label]++;
        }
    }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The samples, in a stable order (class, then ordinal path, for folder datasets).</summary>
    public IReadOnlyList<ImageSample> Samples { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Samples.Count;

    /// <summary>
    /// What reading the folder left out, each with its reason: folder links that were not followed
    /// (<see cref="BadFileReason.DuplicateFolder"/>: they lead into the data, above it, or to a folder already read) and
    /// folders that could not be read. Empty for datasets not read from a folder, and for subsets.
    /// </summary>
    public IReadOnlyList<BadFileEntry> ListingSkips { get; init; } = Array.Empty<BadFileEntry>();

    /// <summary>Number of samples of each class, in label order.</summary>
    public IReadOnlyList<int> ClassCounts => classCounts;

    /// <summary>Largest class count divided by the smallest non-zero one (1 for a balanced dataset, 0 when empty).</summary>
    public double ImbalanceRatio
    {
        get
        {
            var nonZero = classCounts.Where(c => c > 0).ToArray();
            return nonZero.Length == 0 ? 0 : (double)nonZero.Max() / nonZero.Min();
        }
    }

    /// <summary>
    /// Identity of the data: SHA-256 of the class names and of each sample's path, label, file size and last write time.
    /// Computed once, on first access.
    /// </summary>
    public string Fingerprint => fingerprint ??= ComputeFingerprint();

    /// <summary>
    /// Class weights inversely proportional to the class counts ("balanced", as scikit-learn):
    /// <c>weight[c] = Count / (classes * count[c])</c>; a class without samples gets weight 0.
    /// </summary>
    public float[] ComputeClassWeights()
    {
        var weights = new float[classCounts.Length];
        for (var c = 0; c < weights.Length; c++)
        {
            weights[c] = classCounts[c] == 0 ? 0f : (float)((double)Count / (classCounts.Length * (double)classCounts[c]));
        }

        return weights;
    }

    /// <summary>A human-readable table of class counts and shares, with the imbalance ratio.</summary>
    public string DescribeClasses()
    {
        var sb = new StringBuilder();
        var width = ClassNames.Max(n => n.Length);
        sb.Append(CultureInfo.InvariantCulture, $"{Count} images in {ClassNames.Count} classes").AppendLine();
        for (var c = 0; c < ClassNames.Count; c++)
        {
            var share = Count == 0 ? 0 : 100.0 * classCounts[c] / Count;
            sb.Append(CultureInfo.InvariantCulture, $"  {ClassNames[c].PadRight(width)}  {classCounts[c],7}  {share,5:F1} %").AppendLine();
        }

        sb.Append(CultureInfo.InvariantCulture, $"Imbalance (largest / smallest class): {ImbalanceRatio:F2}");
        if (ImbalanceRatio >= 3)
        {
            sb.Append(" - consider class weights (ComputeClassWeights) or resampling");
        }

        return sb.ToString();
    }

    /// <summary>A dataset with the samples at the given indices and the same class names.</summary>
    /// <param name="indices">Indices into <see cref="Samples"/>.</param>
    public ImageDataset Subset(IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return new ImageDataset(ClassNames, indices.Select(i => Samples[i]));
    }

    /// <summary>
    /// Splits the dataset per class (stratified) into training, validation and optional test sets, reproducibly from
    /// <paramref name="seed"/>. Each class contributes <c>round(count * fraction)</c> samples to validation and test
    /// (at least one when the fraction is positive and the class has enough samples to keep one for training).
    /// </summary>
    /// <param name="validationFraction">Share of each class for validation, 0 &lt;= f &lt; 1.</param>
    /// <param name="testFraction">Share of each class for testing, 0 &lt;= f &lt; 1 (0: no test split).</param>
    /// <param name="seed">Seed of the shuffle; the same seed gives the same split.</param>
    public DatasetSplits StratifiedSplit(double validationFraction, double testFraction = 0, int seed = 0)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "Must be in [0, 1).");
        }

        if (!(testFraction >= 0 && testFraction < 1) || validationFraction + testFraction >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "Must be in [0, 1) and validation + test must be below 1.");
        }

        var train = new List<int>();
        var validation = new List<int>();
        var test = new List<int>();
        for (var c = 0; c < ClassNames.Count; c++)
        {
            var members = Enumerable.Range(0, Count).Where(i => Samples[i].Label == c).ToArray();
            SeedMixer.Create(seed, c, 0x5EED).Shuffle(members);
            var n = members.Length;
            var nVal = Take(n, validationFraction, n - 1);
            var nTest = Take(n, testFraction, n - 1 - nVal);
            validation.AddRange(members.Take(nVal));
            test.AddRange(members.Skip(nVal).Take(nTest));
            train.AddRange(members.Skip(nVal + nTest));
        }

        train.Sort();
        validation.Sort();
        test.Sort();
        return new DatasetSplits(Subset(train), Subset(validation), testFraction > 0 ? Subset(test) : null);

        static int Take(int n, double fraction, int available)
        {
            if (fraction <= 0 || available <= 0)
            {
                return 0;
            }

            var k = (int)Math.Round(n * fraction, MidpointRounding.AwayFromZero);
            return Math.Clamp(k, 1, available);
        }
    }

    /// <summary>
    /// Reads a folder with one subfolder per class. Class names are the subfolder names sorted ordinally (so indices are
    /// stable across machines); files are sorted ordinally by path within a class. Folders and files whose name starts
    /// with '.' (".ipynb_checkpoints", macOS "._name.jpg" files) are ignored.
    /// </summary>
    /// <param name="root">The folder whose subfolders are the classes.</param>
    /// <param name="options">Listing options; <see langword="null"/> for the defaults.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="DatasetException">No class folders, an empty class folder, a single class, or no images at all.</exception>
    public static ImageDataset FromFolder(string root, ImageFolderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        options ??= new ImageFolderOptions();
        options.Validate();
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Dataset folder '{root}' does not exist.");
        }

        var classDirs = Directory.GetDirectories(root).Where(d => !IsHidden(d)).OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0)
        {
            throw new DatasetException($"Dataset folder '{root}' has no class subfolders: put the images of each class in a subfolder named after the class.");
        }

        return FromClassFolders(root, classDirs.Select(Path.GetFileName).ToArray()!, options, requireAllClasses: true);
    }

    /// <summary>
    /// Reads separate training, validation and optional test folders, each with one subfolder per class. Class names
    /// come from the training folder; the other folders may lack a class but must not add one.
    /// </summary>
    /// <param name="trainRoot">Training folder.</param>
    /// <param name="validationRoot">Validation folder.</param>
    /// <param name="testRoot">Test folder, or <see langword="null"/>.</param>
    /// <param name="options">Listing options; <see langword="null"/> for the defaults.</param>
    public static DatasetSplits FromFolders(string trainRoot, string validationRoot, string? testRoot = null, ImageFolderOptions? options = null)
    {
        var train = FromFolder(trainRoot, options);
        var evalOptions = (options ?? new ImageFolderOptions()) with { AllowEmptyClasses = true, AllowSingleClass = true };
        var validation = ReadWithClasses(validationRoot, train.ClassNames, evalOptions);
        var test = testRoot is null ? null : ReadWithClasses(testRoot, train.ClassNames, evalOptions);
        return new DatasetSplits(train, validation, test);
    }

    /// <summary>
    /// Reads a CSV or TSV file with one <c>path,label</c> line per image. The delimiter is a tab for <c>.tsv</c> files and
    /// otherwise guessed from the first line (tab, comma or semicolon); a first line whose label is "label" (or whose path
    /// column is "path", "file" or "filename") is a header. Fields may be double-quoted. Relative paths are relative to
    /// <paramref name="imageRoot"/>, or to the CSV's folder.
    /// </summary>
    /// <param name="csvPath">The CSV/TSV file.</param>
    /// <param name="imageRoot">Folder relative paths are resolved against; <see langword="null"/>: the CSV's folder.</param>
    /// <param name="classNames">Class names in label order; <see langword="null"/>: the distinct labels sorted ordinally.</param>
    /// <exception cref="DatasetException">A malformed line, an unknown label, fewer than two classes, or no lines.</exception>
    public static ImageDataset FromCsv(string csvPath, string? imageRoot = null, IReadOnlyList<string>? classNames = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(csvPath);
        csvPath = Path.GetFullPath(csvPath);
        if (!File.Exists(csvPath))
        {
            throw new FileNotFoundException($"Dataset file '{csvPath}' does not exist.", csvPath);
        }

        var kind = FileKinds.Of(csvPath);
        if (kind is not (FileKind.Regular or FileKind.Unknown))
        {
            throw new DatasetException($"Dataset file '{csvPath}' is {FileKinds.Describe(kind)}, not a regular file.");
        }

        if (new FileInfo(csvPath).Length > MaxCsvBytes)
        {
            throw new DatasetException($"Dataset file '{csvPath}' is larger than {MaxCsvBytes:N0} bytes; split the list.");
        }

        imageRoot = Path.GetFullPath(imageRoot ?? Path.GetDirectoryName(csvPath)!);
        var lines = File.ReadAllLines(csvPath);
        var firstContent = lines.FirstOrDefault(l => !string.IsNullOrWhiteSpace(l)) ?? string.Empty;
        var delimiter = Path.GetExtension(csvPath).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t'
            : firstContent.Contains('\t') ? '\t'
            : firstContent.Contains(',') ? ','
            : firstContent.Contains(';') ? ';' : ',';
        var rows = new List<(string Path, string Label)>();
        var headerChecked = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]) || lines[i].TrimStart().StartsWith('#'))
            {
                continue;
            }

            var fields = SplitCsvLine(lines[i], delimiter);
            if (fields.Count < 2 || string.IsNullOrWhiteSpace(fields[0]) || string.IsNullOrWhiteSpace(fields[1]))
            {
                throw new DatasetException($"{csvPath}:{i + 1}: expected 'path{delimiter}label', got '{lines[i]}'.");
            }

            if (!headerChecked)
            {
                headerChecked = true;
                var p = fields[0].Trim().ToLowerInvariant();
                var l = fields[1].Trim().ToLowerInvariant();
                if (l is "label" or "class" or "category" || p is "path" or "file" or "filename" or "image")
                {
                    continue;
                }
            }

            var path = fields[0].Trim();
            rows.Add((Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(imageRoot, path)), fields[1].Trim()));
        }

        if (rows.Count == 0)
        {
            throw new DatasetException($"Dataset file '{csvPath}' lists no images.");
        }

        var names = classNames?.ToArray() ?? rows.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var index = names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
        var samples = new List<ImageSample>(rows.Count);
        foreach (var (path, label) in rows)
        {
            if (!index.TryGetValue(label, out var id))
            {
                throw new DatasetException($"Dataset file '{csvPath}': label '{label}' of '{path}' is not one of the class names ({string.Join(", ", names)}).");
            }

            samples.Add(new ImageSample(path, id));
        }

        if (names.Length < 2 && classNames is null)
        {
            throw new DatasetException($"Dataset file '{csvPath}' has a single class ('{names[0]}'): a classifier needs at least two.");
        }

        return new ImageDataset(names, samples);
    }

    private static ImageDataset ReadWithClasses(string root, IReadOnlyList<string> classNames, ImageFolderOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Dataset folder '{root}' does not exist.");
        }

        var known = new HashSet<string>(classNames, StringComparer.Ordinal);
        var extra = Directory.GetDirectories(root).Where(d => !IsHidden(d)).Select(Path.GetFileName).Where(n => !known.Contains(n!)).ToArray();
        if (extra.Length > 0)
        {
            throw new DatasetException($"Dataset folder '{root}' has classes that the training folder lacks: {string.Join(", ", extra)}.");
        }

        return FromClassFolders(root, classNames, options, requireAllClasses: false);
    }

    private static ImageDataset FromClassFolders(string root, IReadOnlyList<string> classNames, ImageFolderOptions options, bool requireAllClasses)
    {
        var extensions = new HashSet<string>(options.Extensions, StringComparer.OrdinalIgnoreCase);
        var walker = new FolderWalker(root);
        var samples = new List<ImageSample>();
        var empty = new List<string>();
        for (var c = 0; c < classNames.Count; c++)
        {
            var dir = Path.Combine(root, classNames[c]);
            if (!Directory.Exists(dir))
            {
                if (requireAllClasses)
                {
                    throw new DatasetException($"Class folder '{dir}' does not exist.");
                }

                continue;
            }

            var files = walker.ListFiles(dir, options.Recursive)
                .Where(f => extensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal)
                .ToArray();
            if (files.Length == 0)
            {
                empty.Add(classNames[c]);
            }

            samples.AddRange(files.Select(f => new ImageSample(f, c)));
        }

        if (samples.Count == 0)
        {
            throw new DatasetException($"Dataset folder '{root}' contains no images (extensions: {string.Join(" ", options.Extensions)}).");
        }

        if (empty.Count > 0 && !options.AllowEmptyClasses)
        {
            throw new DatasetException($"Class folder(s) without images in '{root}': {string.Join(", ", empty)}. Add images or remove the folder(s).");
        }

        if (classNames.Count < 2 && !options.AllowSingleClass)
        {
            throw new DatasetException($"Dataset folder '{root}' has a single class ('{classNames[0]}'): a classifier needs at least two class subfolders.");
        }

        return new ImageDataset(classNames, samples) { ListingSkips = walker.Skipped.ToArray() };
    }

    /// <summary>Names starting with '.' (".ipynb_checkpoints", macOS "._photo.jpg" resource forks) are not data.</summary>
    private static bool IsHidden(string path) => Path.GetFileName(path).StartsWith('.');

    private static List<string> SplitCsvLine(string line, char delimiter)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    sb.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    sb.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == delimiter)
            {
                fields.Add(sb.ToString());
                sb.Clear();
            }
            else
            {
                sb.Append(ch);
            }
        }

        fields.Add(sb.ToString());
        return fields;
    }

    private string ComputeFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) => hash.AppendData(Encoding.UTF8.GetBytes(s + "\n"));
        Add("classes:" + string.Join("\u001f", ClassNames));
        foreach (var sample in Samples)
        {
            var info = new FileInfo(sample.Path);
            var stat = info.Exists ? $"{info.Length}:{info.LastWriteTimeUtc.Ticks}" : "missing";
            Add(string.Create(CultureInfo.InvariantCulture, $"{sample.Path}\u001f{sample.Label}\u001f{stat}"));
        }

        return Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
    }
}
