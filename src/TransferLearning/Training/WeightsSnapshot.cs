using TorchSharp;
using static TorchSharp.torch;

namespace TransferLearning.Training;

/// <summary>An in-memory copy of a module's state dict (parameters and buffers) that can be put back.</summary>
public sealed class WeightsSnapshot : IDisposable
{
    private readonly Dictionary<string, Tensor> tensors;

    private WeightsSnapshot(Dictionary<string, Tensor> tensors) => this.tensors = tensors;

    /// <summary>Copies the current state of <paramref name="module"/>.</summary>
    /// <param name="module">The module.</param>
    public static WeightsSnapshot Capture(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var copy = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach (var (name, t) in module.state_dict())
            {
                var c = t.detach().clone();
                c.DetachFromDisposeScope();
                copy[name] = c;
            }
        }

        return new WeightsSnapshot(copy);
    }

    /// <summary>Overwrites this snapshot with the current state of <paramref name="module"/> (same module layout).</summary>
    /// <param name="module">The module.</param>
    public void Update(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var noGrad = no_grad();
        foreach (var (name, t) in module.state_dict())
        {
            tensors[name].copy_(t);
        }
    }

    /// <summary>Copies the snapshot back into <paramref name="module"/> in place (optimizers keep their parameter references).</summary>
    /// <param name="module">A module with the same state-dict keys and shapes.</param>
    /// <exception cref="InvalidOperationException">A key is missing.</exception>
    public void RestoreTo(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var noGrad = no_grad();
        foreach (var (name, t) in module.state_dict())
        {
            if (!tensors.TryGetValue(name, out var saved))
            {
                throw new InvalidOperationException($"The snapshot has no tensor '{name}'.");
            }

            t.copy_(saved);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in tensors.Values)
        {
            t.Dispose();
        }

        tensors.Clear();
    }
}
