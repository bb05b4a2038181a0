using TransferLearning.Backbones;
using TransferLearning.Data;
using TransferLearning.Weights;

namespace TransferLearning.Cli.Commands;

/// <summary>Argument checks and conversions shared by the commands; every failure is a <see cref="CliUsageException"/>.</summary>
internal static class CliArguments
{
    public static string ExistingDirectory(string? path, string option)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new CliUsageException($"{option} is required.");
        }

        if (File.Exists(path))
        {
            throw new CliUsageException($"{option}: '{path}' is a file, not a folder (give the folder that holds one subfolder per class).");
        }

        if (!Directory.Exists(path))
        {
            throw new CliUsageException($"{option}: folder '{path}' does not exist.");
        }

        return Path.GetFullPath(path);
    }

    public static string ExistingFile(string? path, string option)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new CliUsageException($"{option} is required.");
        }

        if (Directory.Exists(path))
        {
            throw new CliUsageException($"{option}: '{path}' is a folder, not a file.");
        }

        if (!File.Exists(path))
        {
            throw new CliUsageException($"{option}: file '{path}' does not exist.");
        }

        return Path.GetFullPath(path);
    }

    public static string OutputFile(string? path, string option)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new CliUsageException($"{option} is required.");
        }

        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new CliUsageException($"{option}: '{path}' is a folder; give a file name.");
        }

        var directory = Path.GetDirectoryName(full);
        if (directory is not null && File.Exists(directory))
        {
            throw new CliUsageException($"{option}: '{directory}' is a file, not a folder.");
        }

        if (directory is not null)
        {
            EnsureWritableFolder(directory, option);
        }

        return full;
    }

    /// <summary>
    /// Creates the folder if needed and proves that a file can be created in it (a probe file, removed at once), so a
    /// read-only or full location is reported before any work, not after an hour of training.
    /// </summary>
    public static void EnsureWritableFolder(string directory, string option)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".tl-write-test.{Guid.NewGuid():N}.tmp");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new CliUsageException($"{option}: cannot write in folder '{directory}' ({e.Message.TrimEnd('.')}); choose a writable location.", e);
        }
    }

    public static BackboneInfo Backbone(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new CliUsageException($"--backbone is required (one of: {string.Join(", ", BackboneCatalog.All.Select(b => b.Name))}).");
        }

        if (!BackboneCatalog.Contains(name))
        {
            throw new CliUsageException($"--backbone: unknown backbone '{name}' (one of: {string.Join(", ", BackboneCatalog.All.Select(b => b.Name))}).");
        }

        return BackboneCatalog.Get(name);
    }

    public static IWeightsSource WeightsSource(string? value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Equals("imagenet", StringComparison.OrdinalIgnoreCase))
        {
            return Weights.Weights.ImageNet;
        }

        if (value.Equals("random", StringComparison.OrdinalIgnoreCase) || value.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return Weights.Weights.Random;
        }

        if (Directory.Exists(value))
        {
            throw new CliUsageException($"--weights: '{value}' is a folder, not a weights file; give the file itself (.pth, .safetensors, .h5, .onnx, .dat), 'imagenet' or 'random'.");
        }

        if (!File.Exists(value))
        {
            throw new CliUsageException($"--weights: expected 'imagenet', 'random' or an existing weights file (.pth, .safetensors, .h5, .onnx, .dat); '{value}' is none of these.");
        }

        return Weights.Weights.FromFile(Path.GetFullPath(value));
    }

    /// <summary>Reads a labelled folder using the model's class list (a folder may lack classes but not add one).</summary>
    public static ImageDataset DatasetForModel(string root, IReadOnlyList<string> modelClasses)
    {
        var found = ImageDataset.FromFolder(root, new ImageFolderOptions { AllowEmptyClasses = true, AllowSingleClass = true });
        var unknown = found.ClassNames.Where(c => !modelClasses.Contains(c, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
        {
            throw new CliUsageException($"--data: class folder(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} are not classes of the model ({string.Join(", ", modelClasses)}).");
        }

        var index = modelClasses.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        var samples = found.Samples.Select(s => new ImageSample(s.Path, index[found.ClassNames[s.Label]]));
        return new ImageDataset(modelClasses, samples) { ListingSkips = found.ListingSkips };
    }

    /// <summary>The device of <c>--device</c> (CPU when absent); a missing CUDA backend is a one-line error naming the package.</summary>
    public static TorchSharp.torch.Device Device(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return ComputeDevice.Cpu;
        }

        try
        {
            return ComputeDevice.Parse(value);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--device: {e.Message.Split(" (Parameter", 2)[0]}");
        }
    }
}
