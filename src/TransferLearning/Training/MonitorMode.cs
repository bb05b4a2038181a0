namespace TransferLearning.Training;

/// <summary>Whether a monitored metric improves by going down or up.</summary>
public enum MonitorMode
{
    /// <summary>Down for names containing "loss", up otherwise.</summary>
    Auto,

    /// <summary>Lower is better.</summary>
    Min,

    /// <summary>Higher is better.</summary>
    Max,
}
