using TorchSharp.Modules;

namespace TransferLearning;

/// <summary>
/// The parameters of one block of a <see cref="TransferModel"/> (a base block or the head), so that a trainer can
/// give each its own learning rate (discriminative learning rates).
/// </summary>
/// <param name="Name">Block name ("stem", "layer4", "block5", ..., or "head").</param>
/// <param name="Depth">Position from the top: 0 for the head, 1 for the top base block, and so on.</param>
/// <param name="Parameters">The parameters.</param>
/// <param name="IsTrainable">Whether the block is currently trainable.</param>
public sealed record ParameterGroup(string Name, int Depth, IReadOnlyList<Parameter> Parameters, bool IsTrainable)
{
    /// <summary>Number of parameters (elements) in the group.</summary>
    public long ParameterCount => Parameters.Sum(p => p.numel());

    /// <summary>For example <c>layer4 (depth 1): 8,393,728 parameters in 15 tensors, frozen</c>.</summary>
    public override string ToString() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"{Name} (depth {Depth}): {ParameterCount:N0} parameters in {Parameters.Count} tensors, {(IsTrainable ? "trainable" : "frozen")}");
}
