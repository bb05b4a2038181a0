namespace TransferLearning.Persistence;

/// <summary>A model loaded from a file, with the file's manifest.</summary>
/// <param name="Model">The model (the caller owns and disposes it).</param>
/// <param name="Manifest">The manifest, including the caller's metadata.</param>
public sealed record LoadedModel(TransferModel Model, ModelManifest Manifest);
