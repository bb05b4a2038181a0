namespace TransferLearning.Data;

/// <summary>Result of <see cref="DatasetVerifier.Verify"/>: the samples that decode, and the files that do not.</summary>
/// <param name="Readable">The samples that decoded, with the same class names (order and labels kept).</param>
/// <param name="Skipped">The files that did not decode, each with its reason (<see cref="BadFileEntry.SampleIndex"/> indexes the checked dataset).</param>
public sealed record ReadableData(ImageDataset Readable, IReadOnlyList<BadFileEntry> Skipped)
{
    /// <summary>Names of the classes that had samples but have none left that decode.</summary>
    public IReadOnlyList<string> ClassesLeftEmpty(ImageDataset checkedDataset)
    {
        ArgumentNullException.ThrowIfNull(checkedDataset);
        return Enumerable.Range(0, checkedDataset.ClassNames.Count)
            .Where(c => checkedDataset.ClassCounts[c] > 0 && Readable.ClassCounts[c] == 0)
            .Select(c => checkedDataset.ClassNames[c])
            .ToArray();
    }
}
