namespace TransferLearning.Weights;

/// <summary>A tensor whose shape in a weights file differs from the backbone's.</summary>
/// <param name="Key">State-dict key (torchvision name).</param>
/// <param name="Expected">Shape in the backbone.</param>
/// <param name="Actual">Shape in the file.</param>
public sealed record ShapeMismatch(string Key, IReadOnlyList<long> Expected, IReadOnlyList<long> Actual)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Key}: expected [{string.Join(", ", Expected)}], file has [{string.Join(", ", Actual)}]";
}

/// <summary>
/// A weights file does not fit the backbone: keys the backbone needs are missing, the file has keys the backbone does
/// not know, or tensors have the wrong shape. Nothing is loaded when this is thrown.
/// </summary>
public sealed class WeightsMismatchException : Exception
{
    private const int ListedPerKind = 20;

    /// <summary>Creates the exception.</summary>
    /// <param name="source">The weights source (file name or description).</param>
    /// <param name="backbone">Catalogue id of the backbone.</param>
    /// <param name="missingKeys">Keys the backbone needs and the file lacks.</param>
    /// <param name="unexpectedKeys">Keys in the file the backbone does not have (old classifier keys excluded).</param>
    /// <param name="shapeMismatches">Keys present in both with different shapes.</param>
    public WeightsMismatchException(
        string source,
        string backbone,
        IReadOnlyList<string> missingKeys,
        IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<ShapeMismatch> shapeMismatches)
        : base(BuildMessage(source, backbone, missingKeys, unexpectedKeys, shapeMismatches))
    {
        WeightsSource = source;
        Backbone = backbone;
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>The weights source (file name or description).</summary>
    public string WeightsSource { get; }

    /// <summary>Catalogue id of the backbone.</summary>
    public string Backbone { get; }

    /// <summary>Keys the backbone needs and the file lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys in the file the backbone does not have.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys present in both with different shapes.</summary>
    public IReadOnlyList<ShapeMismatch> ShapeMismatches { get; }

    private static string BuildMessage(
        string source,
        string backbone,
        IReadOnlyList<string> missing,
        IReadOnlyList<string> unexpected,
        IReadOnlyList<ShapeMismatch> shapes)
    {
        var parts = new List<string>
        {
            $"Weights '{source}' do not fit backbone '{backbone}' ({missing.Count} missing, {unexpected.Count} unexpected, {shapes.Count} mis-shaped key(s)); nothing was loaded.",
        };
        if (shapes.Count > 0)
        {
            parts.Add("Mis-shaped: " + List(shapes.Select(s => s.ToString()).ToArray()));
        }

        if (missing.Count > 0)
        {
            parts.Add("Missing: " + List(missing));
        }

        if (unexpected.Count > 0)
        {
            parts.Add("Unexpected: " + List(unexpected));
        }

        return string.Join(Environment.NewLine, parts);
    }

    private static string List(IReadOnlyList<string> items) =>
        string.Join("; ", items.Take(ListedPerKind)) + (items.Count > ListedPerKind ? $"; ... and {items.Count - ListedPerKind} more" : "");
}
