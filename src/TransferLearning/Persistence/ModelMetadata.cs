namespace TransferLearning.Persistence;

/// <summary>
/// Free-form information a caller stores with a model file (training summary, metrics, data set name...). It is saved
/// in the manifest and returned unchanged by <see cref="TransferModelFile.ReadManifest(string)"/>.
/// </summary>
public sealed record ModelMetadata
{
    /// <summary>A human-readable description of the model. Default: empty.</summary>
    public string Description { get; init; } = "";

    /// <summary>Numeric results, for example "val_accuracy" or "epochs". Default: empty.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Any other text properties, for example "dataset" or "training_summary". Default: empty.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>Checks that no key is empty and no metric is NaN or infinite (JSON cannot hold them).</summary>
    /// <exception cref="ArgumentException">A key is empty or a metric is not finite.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Description);
        ArgumentNullException.ThrowIfNull(Metrics);
        ArgumentNullException.ThrowIfNull(Properties);
        foreach (var (key, value) in Metrics)
        {
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new ArgumentException("Metric names must not be empty.", nameof(Metrics));
            }

            if (!double.IsFinite(value))
            {
                throw new ArgumentException($"Metric '{key}' is {value}; only finite numbers can be saved.", nameof(Metrics));
            }
        }

        foreach (var (key, value) in Properties)
        {
            if (string.IsNullOrWhiteSpace(key) || value is null)
            {
                throw new ArgumentException("Property names must not be empty and values must not be null.", nameof(Properties));
            }
        }
    }
}
