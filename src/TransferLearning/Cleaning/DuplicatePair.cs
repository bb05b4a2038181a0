namespace TransferLearning.Cleaning;

/// <summary>Two images whose pooled features are nearly the same (cosine similarity at or above the threshold).</summary>
/// <param name="IndexA">Sample index of the first image (the lower index).</param>
/// <param name="IndexB">Sample index of the second image.</param>
/// <param name="PathA">First image file.</param>
/// <param name="PathB">Second image file.</param>
/// <param name="Similarity">Cosine similarity of the two feature vectors.</param>
/// <param name="IsExact">Whether the two files have identical bytes.</param>
/// <param name="IsLeak">Whether one image is in the training set and the other in the validation set.</param>
/// <param name="SameLabel">Whether both images carry the same label.</param>
public sealed record DuplicatePair(int IndexA, int IndexB, string PathA, string PathB, double Similarity, bool IsExact, bool IsLeak, bool SameLabel);
