namespace TransferLearning.Data;

/// <summary>One labelled image of an <see cref="ImageDataset"/>.</summary>
/// <param name="Path">Full path of the image file.</param>
/// <param name="Label">Zero-based class index into <see cref="ImageDataset.ClassNames"/>.</param>
public sealed record ImageSample(string Path, int Label);
