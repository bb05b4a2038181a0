using TransferLearning.Backbones;
using static TorchSharp.torch;

namespace TransferLearning.Weights;

/// <summary>
/// Weights in TorchSharp's own format (<c>Module.save</c>, <c>.dat</c>), for example a <see cref="BackboneModule"/> saved
/// with <c>backbone.save(path)</c>. The file is first read into a scratch copy of the backbone, so a bad file leaves the
/// target untouched; then every key and shape is checked as for the other formats.
/// </summary>
public sealed class TorchSharpDatWeights : WeightsFile
{
    /// <summary>Creates a source for a file.</summary>
    /// <param name="path">The <c>.dat</c> file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public TorchSharpDatWeights(string path)
        : base(path)
    {
    }

    /// <inheritdoc/>
    public override string Description => $"TorchSharp weights ({System.IO.Path.GetFileName(Path)})";

    /// <inheritdoc/>
    /// <exception cref="WeightsMismatchException">Keys are missing or mis-shaped; nothing is loaded.</exception>
    /// <exception cref="InvalidDataException">The file is not a TorchSharp weights file.</exception>
    public override void LoadInto(BackboneModule backbone, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        cancellationToken.ThrowIfCancellationRequested();
        TorchSharpDatFormat.Validate(Path);
        using var scratch = BackboneModule.Create(backbone.Info);
        var loaded = new Dictionary<string, bool>(StringComparer.Ordinal);
        try
        {
            scratch.load(Path, strict: false, loadedParameters: loaded);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or NotImplementedException or FormatException
                                       or System.Runtime.InteropServices.ExternalException)
        {
            // TorchSharp reports a shape mismatch as an ArgumentException naming the key, and some foreign files as
            // NotImplementedException; every such failure becomes one clear InvalidDataException.
            throw new InvalidDataException($"'{System.IO.Path.GetFileName(Path)}' could not be read into backbone '{backbone.Info.Name}': {NativeErrorText.Clean(e.Message)}", e);
        }

        var present = scratch.state_dict()
            .Where(kv => loaded.TryGetValue(kv.Key, out bool ok) && ok)
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        StateDictLoader.Load(backbone, present, System.IO.Path.GetFileName(Path));
    }
}
