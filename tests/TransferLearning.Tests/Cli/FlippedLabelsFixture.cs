using System.Text.Json;
using SkiaSharp;

namespace TransferLearning.Tests.Cli;

/// <summary>
/// The committed quick-start renders (184 images, 5 classes) split into train/ and val/ (every fifth image of each class
/// to val), with 5 % of the labels flipped on purpose (9 images moved to another class folder, seeded), an exact copy of
/// a training image and a 96 px resized copy of another training image added to val/; then one
/// <c>tl clean --data train --val val --json</c> run with ResNet18 (CNTK ImageNet weights, offline) for the tests to share.
/// </summary>
public sealed class FlippedLabelsFixture : IDisposable
{
    public const int FlipCount = 9; // 5 % of 184

    public FlippedLabelsFixture()
    {
        Root = Directory.CreateTempSubdirectory("tl-clean-").FullName;
        Train = Path.Combine(Root, "train");
        Validation = Path.Combine(Root, "val");
        var source = Path.Combine(RepositoryRoot(), "samples", "QuickStart", "data");
        var classes = Directory.GetDirectories(source).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();
        var all = new List<(string Path, int Class, bool IsValidation)>();
        foreach (var (name, c) in classes.Select((n, i) => (n, i)))
        {
            var files = Directory.GetFiles(Path.Combine(source, name), "*.png").Order(StringComparer.Ordinal).ToArray();
            all.AddRange(files.Select((f, i) => (f, c, i % 5 == 4)));
        }

        var random = new Random(20261202);
        var order = Enumerable.Range(0, all.Count).ToArray();
        random.Shuffle(order);
        var exactSource = order[0];
        var resizedSource = order[1..].First(i => !all[i].IsValidation && all[i].Class != all[exactSource].Class);
        if (all[exactSource].IsValidation)
        {
            exactSource = order[1..].First(i => !all[i].IsValidation && i != resizedSource);
        }

        var flipped = order.Where(i => i != exactSource && i != resizedSource).Take(FlipCount).ToHashSet();
        Classes = classes;
        foreach (var (item, index) in all.Select((a, i) => (a, i)))
        {
            int label = item.Class;
            if (flipped.Contains(index))
            {
                label = (label + 1 + random.Next(classes.Length - 1)) % classes.Length;
            }

            var target = Path.Combine(item.IsValidation ? Validation : Train, classes[label], Path.GetFileName(item.Path));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(item.Path, target);
            if (flipped.Contains(index))
            {
                FlippedFiles.Add(target);
            }

            if (index == exactSource)
            {
                ExactSource = target;
            }

            if (index == resizedSource)
            {
                ResizedSource = target;
            }
        }

        ExactCopy = Path.Combine(Validation, classes[all[exactSource].Class], "copy-of-" + Path.GetFileName(ExactSource));
        File.Copy(ExactSource, ExactCopy);
        ResizedCopy = Path.Combine(Validation, classes[all[resizedSource].Class], "resized-" + Path.GetFileName(ResizedSource));
        using (var original = SKBitmap.Decode(ResizedSource))
        using (var small = original.Resize(new SKImageInfo(96, 96), new SKSamplingOptions(SKCubicResampler.Mitchell)))
        using (var image = SKImage.FromBitmap(small))
        using (var png = image.Encode(SKEncodedImageFormat.Png, 100))
        using (var stream = File.Create(ResizedCopy))
        {
            png.SaveTo(stream);
        }

        Output = Path.Combine(Root, "report");
        Clean = CliRunner.Run("clean", "--data", Train, "--val", Validation, "--output", Output, "--json");
        if (Clean.ExitCode == 0)
        {
            Json = JsonDocument.Parse(Clean.StdOut);
        }
    }

    public string Root { get; }

    public string Train { get; }

    public string Validation { get; }

    public IReadOnlyList<string> Classes { get; }

    public HashSet<string> FlippedFiles { get; } = new(StringComparer.Ordinal);

    public string ExactSource { get; } = "";

    public string ExactCopy { get; }

    public string ResizedSource { get; } = "";

    public string ResizedCopy { get; }

    public string Output { get; }

    internal CliResult Clean { get; }

    public JsonDocument? Json { get; }

    public void Dispose()
    {
        Json?.Dispose();
        Directory.Delete(Root, recursive: true);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TransferLearning.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Repository root (TransferLearning.sln) not found above " + AppContext.BaseDirectory);
    }
}
