namespace TransferLearning.Data;

/// <summary>What the <see cref="DataLoader"/> does with a file it cannot decode.</summary>
public enum BadFilePolicy
{
    /// <summary>Leave the sample out of its batch, log a warning and record it in <see cref="DataLoader.Report"/> (default).</summary>
    Skip,

    /// <summary>Throw the <see cref="ImageDecodeException"/> from the batch enumeration.</summary>
    Throw,
}
