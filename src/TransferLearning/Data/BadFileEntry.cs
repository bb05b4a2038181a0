namespace TransferLearning.Data;

/// <summary>One file the loader could not use.</summary>
/// <param name="Path">The file.</param>
/// <param name="SampleIndex">Index of the sample in its dataset.</param>
/// <param name="Reason">Why it was skipped.</param>
/// <param name="Message">The decoder's explanation.</param>
public sealed record BadFileEntry(string Path, int SampleIndex, BadFileReason Reason, string Message);
