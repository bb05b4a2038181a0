using System.Globalization;

namespace TransferLearning.Persistence;

/// <summary>
/// Sane limits on the values a model file's manifest may hold, checked before any tensor is allocated: a damaged or
/// hostile manifest with valid checksums (for example <c>hiddenSizes: [2000000000]</c> or <c>inputSize: 10000</c>) is
/// refused with a <see cref="ModelFileException"/> instead of allocating terabytes or being killed for memory.
/// </summary>
public static class ModelFileLimits
{
    /// <summary>Largest input side, in pixels (catalogue backbones use 224 to 600).</summary>
    public const int MaxInputSize = 2048;

    /// <summary>Largest resize side before the centre crop, in pixels.</summary>
    public const int MaxResizeSize = 4096;

    /// <summary>Largest width of one hidden layer of the head.</summary>
    public const int MaxHiddenSize = 65_536;

    /// <summary>Most hidden layers in the head.</summary>
    public const int MaxHiddenLayers = 16;

    /// <summary>Most classes.</summary>
    public const int MaxClasses = 100_000;

    /// <summary>Longest class name, in characters.</summary>
    public const int MaxClassNameLength = 1024;

    /// <summary>Checks a manifest's spec against the limits.</summary>
    /// <param name="spec">The spec read from a manifest.</param>
    /// <param name="weightsBytes">Size of the weights entry, when known: the head must fit in it.</param>
    /// <exception cref="ModelFileException">A value is outside its limit, or the head described needs more weights than the file holds.</exception>
    public static void Check(TransferModelSpec spec, long? weightsBytes = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Require(spec.InputSize is >= 1 and <= MaxInputSize, $"inputSize {spec.InputSize} is outside 1..{MaxInputSize}");
        var p = spec.Preprocessing ?? throw Invalid("it has no preprocessing");
        Require(p.InputSize is >= 1 and <= MaxInputSize, $"preprocessing.inputSize {p.InputSize} is outside 1..{MaxInputSize}");
        Require(p.ResizeSize is >= 1 and <= MaxResizeSize, $"preprocessing.resizeSize {p.ResizeSize} is outside 1..{MaxResizeSize}");
        Require(p.InputSize == spec.InputSize, $"preprocessing.inputSize {p.InputSize} differs from inputSize {spec.InputSize}");
        Require(p.Mean is { Count: 3 } && p.Std is { Count: 3 }, "preprocessing mean and std must have 3 values each");
        Require(float.IsFinite(p.Scale) && p.Mean!.All(float.IsFinite) && p.Std!.All(float.IsFinite), "preprocessing holds a value that is not a finite number");

        var classes = spec.ClassNames ?? throw Invalid("it has no class names");
        Require(classes.Count is >= 1 and <= MaxClasses, $"{classes.Count} classes is outside 1..{MaxClasses:N0}");
        Require(classes.All(c => c is { Length: > 0 and <= MaxClassNameLength }), $"a class name is empty or longer than {MaxClassNameLength} characters");

        var hidden = spec.Head?.HiddenSizes ?? throw Invalid("it has no head");
        Require(hidden.Count <= MaxHiddenLayers, $"the head has {hidden.Count} hidden layers, more than {MaxHiddenLayers}");
        foreach (int size in hidden)
        {
            Require(size is >= 1 and <= MaxHiddenSize, $"head hidden size {size.ToString("N0", CultureInfo.InvariantCulture)} is outside 1..{MaxHiddenSize:N0}");
        }

        if (weightsBytes is long available)
        {
            // The head's weights between its own layers alone (not counting the base and the head's first layer, whose
            // input width depends on the backbone) are a lower bound on what the weights entry must hold.
            long parameters = 0;
            var widths = hidden.Append(classes.Count).ToArray();
            for (int i = 1; i < widths.Length; i++)
            {
                parameters += ((long)widths[i - 1] * widths[i]) + widths[i];
            }

            Require(parameters * sizeof(float) <= available,
                $"its head needs at least {parameters:N0} parameters ({parameters * sizeof(float):N0} bytes), but the weights entry holds only {available:N0} bytes");
        }
    }

    private static void Require(bool condition, string what)
    {
        if (!condition)
        {
            throw Invalid(what);
        }
    }

    private static ModelFileException Invalid(string what) =>
        new($"The manifest describes a model this library refuses to build: {what}.");
}
