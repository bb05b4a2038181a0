namespace TransferLearning.Training;

/// <summary>What a stop request ends.</summary>
public enum StopScope
{
    /// <summary>The current phase ends after the current epoch (or batch); the next phase starts.</summary>
    Phase,

    /// <summary>The whole fit ends.</summary>
    Fit,
}
