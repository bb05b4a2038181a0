namespace TransferLearning.Weights;

/// <summary>A published set of pretrained weights for one backbone: where it comes from and how to verify it.</summary>
public sealed record PretrainedWeightsInfo
{
    /// <summary>Name of the weights, for example "imagenet".</summary>
    public required string Name { get; init; }

    /// <summary>File name in the weight cache, for example "resnet18-f37072fd.pth".</summary>
    public required string FileName { get; init; }

    /// <summary>Official download address, or <see langword="null"/> when the file only comes from a package.</summary>
    public Uri? Url { get; init; }

    /// <summary>Lower-case hex SHA-256 of the file, or <see langword="null"/> when the publisher gives none.</summary>
    public string? Sha256 { get; init; }

    /// <summary>File format.</summary>
    public required WeightsFormat Format { get; init; }

    /// <summary>Size of the file in bytes, when known.</summary>
    public long? SizeBytes { get; init; }

    /// <summary>Where the weights come from, for documentation and error messages (for example "torchvision", "NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1").</summary>
    public string Origin { get; init; } = "";
}
