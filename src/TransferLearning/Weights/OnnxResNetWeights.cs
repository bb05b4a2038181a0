using System.Text.RegularExpressions;
using TransferLearning.Backbones;

namespace TransferLearning.Weights;

/// <summary>
/// Weights of a ResNet stored as an ONNX model whose BatchNorms are separate nodes, mapped into the backbone by walking
/// the graph. Made for the ImageNet ResNet18 of NuGet <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1
/// (<c>ResNet18.onnx</c>, a CNTK export with stages [2,2,2,3]): load it into the <c>resnet18_cntk</c> backbone, whose
/// preprocessing (<see cref="Data.ImagePreprocessing.CntkResNet"/>) is the package's own: BGR, 0..255, minus the three
/// channel means of <c>ResNetPreprocess.onnx</c>'s mean image. The package subtracts the full 224x224 mean image; using
/// its three channel means instead changes the 512-d features only slightly (measured on synthetic colour images: cosine
/// 0.9999, max abs difference 0.17 for features up to about 15; on other images up to about 0.5, cosine &gt;= 0.998).
/// Mapped this way the features match ONNX Runtime on the same input within 1.6e-5.
/// </summary>
public sealed partial class OnnxResNetWeights : IWeightsSource
{
    /// <summary>File name of the model in the NuGet package and in the weight cache.</summary>
    public const string FileName = "ResNet18.onnx";

    /// <summary>NuGet package that ships <see cref="FileName"/>.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>Package version whose file this importer was checked against.</summary>
    public const string PackageVersion = "0.23.1";

    private readonly Lazy<string> fingerprint;

    /// <summary>Creates a source for an ONNX file.</summary>
    /// <param name="path">Path of the <c>.onnx</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public OnnxResNetWeights(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(Path))
        {
            throw new ArgumentException($"ONNX weights file '{Path}' is a folder, not a file.", nameof(path));
        }

        if (!File.Exists(Path))
        {
            throw new FileNotFoundException($"ONNX weights file '{Path}' does not exist.", Path);
        }

        fingerprint = new Lazy<string>(() => FileHash.Sha256(Path));
    }

    /// <summary>Full path of the ONNX file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public string Description => $"ONNX ResNet weights ({System.IO.Path.GetFileName(Path)})";

    /// <summary>SHA-256 of the file (computed on first use).</summary>
    public string Fingerprint => fingerprint.Value;

    /// <summary>
    /// The places <see cref="FileName"/> is looked for, in order: the application's folder
    /// (<c>DnnImageModels/ResNet18Onnx/</c>, where the NuGet package's build props copy it), the weight cache folder, then
    /// the NuGet package folder (<c>NUGET_PACKAGES</c> or <c>~/.nuget/packages</c>).
    /// </summary>
    /// <param name="cacheFolder">The weight cache folder, or <see langword="null"/> for <see cref="WeightStoreOptions.DefaultCacheFolder"/>.</param>
    public static IReadOnlyList<string> CandidatePaths(string? cacheFolder = null)
    {
        var paths = new List<string>
        {
            System.IO.Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", FileName),
            System.IO.Path.Combine(cacheFolder ?? WeightStoreOptions.DefaultCacheFolder, FileName),
        };
        string? packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(packages))
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            packages = string.IsNullOrEmpty(home) ? null : System.IO.Path.Combine(home, ".nuget", "packages");
        }

        if (packages is not null)
        {
            paths.Add(System.IO.Path.Combine(packages, PackageId.ToLowerInvariant(), PackageVersion, "tools", "DnnImageModels", "ResNet18Onnx", FileName));
        }

        return paths;
    }

    /// <summary>Finds the ML.NET ImageNet <c>ResNet18.onnx</c> on this machine without any network access.</summary>
    /// <param name="cacheFolder">The weight cache folder, or <see langword="null"/> for the default.</param>
    /// <exception cref="WeightsNotFoundException">Not found; the message says where to get it and where to put it.</exception>
    public static OnnxResNetWeights Locate(string? cacheFolder = null) => Locate(CandidatePaths(cacheFolder));

    /// <summary>Returns the first existing file of <paramref name="candidates"/>.</summary>
    /// <param name="candidates">Paths to try, in order.</param>
    /// <exception cref="WeightsNotFoundException">None exists.</exception>
    internal static OnnxResNetWeights Locate(IReadOnlyList<string> candidates)
    {
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return new OnnxResNetWeights(candidate);
            }
        }

        throw new WeightsNotFoundException(
            $"The ImageNet weights of backbone 'resnet18_cntk' ({FileName}, about 64 MB) were not found. They come from NuGet package " +
            $"{PackageId} {PackageVersion} (file tools/DnnImageModels/ResNet18Onnx/{FileName}). Add a PackageReference to it (or to the " +
            $"TransferLearning.ResNet18 companion package) so it is copied next to the application, or copy the file to one of: " +
            string.Join("; ", candidates) + ".",
            FileName,
            candidates);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">The graph is not a ResNet with the backbone's number of blocks.</exception>
    /// <exception cref="WeightsMismatchException">A mapped tensor does not fit the backbone.</exception>
    public void LoadInto(BackboneModule backbone, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var blocks = backbone.state_dict().Keys
            .Select(k => BlockKey().Match(k))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        if (blocks.Length == 0)
        {
            throw new ArgumentException($"Backbone '{backbone.Info.Name}' is not a ResNet; ONNX ResNet weights ('{System.IO.Path.GetFileName(Path)}') only load into 'resnet18_cntk'.", nameof(backbone));
        }

        var tensors = OnnxResNetMapper.Map(Path, blocks, cancellationToken);
        try
        {
            StateDictLoader.Load(backbone, tensors, System.IO.Path.GetFileName(Path));
        }
        finally
        {
            StateDictLoader.DisposeAll(tensors);
        }
    }

    [GeneratedRegex(@"^(layer\d+\.\d+)\.")]
    private static partial Regex BlockKey();
}
