using TransferLearning.Backbones;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TransferLearning.Tests.Weights;

internal static class StateDictAssert
{
    /// <summary>Every tensor of both modules is bit-identical.</summary>
    public static void Identical(nn.Module expected, nn.Module actual)
    {
        var a = expected.state_dict();
        var b = actual.state_dict();
        Assert.Equal(a.Keys.OrderBy(k => k, StringComparer.Ordinal), b.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (key, tensor) in a)
        {
            Assert.Equal(tensor.shape, b[key].shape);
            Assert.True(tensor.eq(b[key]).all().item<bool>(), $"tensor '{key}' differs");
        }
    }

    /// <summary>Copies of every tensor of a module (the torch RNG is shared by tests running in parallel, so a second module built from the same seed is no reference).</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    /// <summary>The module still holds exactly the snapshot's tensors.</summary>
    public static void Unchanged(Dictionary<string, Tensor> snapshot, nn.Module module)
    {
        var now = module.state_dict();
        Assert.Equal(snapshot.Count, now.Count);
        foreach (var (key, tensor) in snapshot)
        {
            Assert.True(tensor.eq(now[key]).all().item<bool>(), $"tensor '{key}' changed");
            tensor.Dispose();
        }
    }

    /// <summary>A fresh base with weights drawn from the given seed.</summary>
    public static BackboneModule Create(BackboneInfo info, long seed)
    {
        random.manual_seed(seed);
        var backbone = BackboneModule.Create(info);
        // Make BatchNorm statistics non-trivial so they are compared too.
        using var noGrad = no_grad();
        foreach (var (name, buffer) in backbone.named_buffers())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal) || name.EndsWith("running_var", StringComparison.Ordinal))
            {
                buffer.copy_(rand_like(buffer) + 0.5f);
            }
        }

        return backbone;
    }

    public static string TempFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "tl-weights-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
