namespace TransferLearning.Cleaning;

/// <summary>
/// An image whose given label looks wrong (confident learning): the out-of-fold probability of its label is low while
/// another class is predicted above that class's own confidence threshold.
/// </summary>
/// <param name="Index">Sample index in the analysed dataset.</param>
/// <param name="Path">Image file.</param>
/// <param name="GivenLabel">Label index the image has (its folder).</param>
/// <param name="SuggestedLabel">Class the out-of-fold heads confidently predict instead.</param>
/// <param name="SelfConfidence">Out-of-fold probability of the given label (lower is more suspicious; the ranking key).</param>
/// <param name="SuggestedProbability">Out-of-fold probability of <paramref name="SuggestedLabel"/>.</param>
public sealed record LabelIssue(int Index, string Path, int GivenLabel, int SuggestedLabel, double SelfConfidence, double SuggestedProbability);
