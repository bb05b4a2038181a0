namespace TransferLearning.Training;

/// <summary>Tracks the best value of a metric over epochs (shared by early stopping, checkpoints and plateau schedules).</summary>
internal sealed class MetricMonitor
{
    private readonly bool lowerIsBetter;
    private readonly double minDelta;

    public MetricMonitor(string monitor, MonitorMode mode, double minDelta)
    {
        Monitor = monitor;
        lowerIsBetter = mode switch
        {
            MonitorMode.Min => true,
            MonitorMode.Max => false,
            _ => monitor.Contains("loss", StringComparison.OrdinalIgnoreCase),
        };
        this.minDelta = Math.Abs(minDelta);
        Reset();
    }

    public string Monitor { get; }

    public double Best { get; private set; }

    public int EpochsWithoutImprovement { get; private set; }

    public void Reset()
    {
        Best = lowerIsBetter ? double.PositiveInfinity : double.NegativeInfinity;
        EpochsWithoutImprovement = 0;
    }

    /// <summary>Reads the metric from the record (falling back from val_ to train_ when there is no validation) and updates the best.</summary>
    /// <returns>True when the value improved on the best.</returns>
    public bool Update(EpochRecord record)
    {
        double? value = record.GetMetric(Monitor);
        if (value is null && Monitor.StartsWith("val_", StringComparison.OrdinalIgnoreCase))
        {
            value = record.GetMetric("train_" + Monitor[4..]);
        }

        if (value is not double v || double.IsNaN(v))
        {
            EpochsWithoutImprovement++;
            return false;
        }

        bool improved = lowerIsBetter ? v < Best - minDelta : v > Best + minDelta;
        if (improved || double.IsInfinity(Best))
        {
            Best = v;
            EpochsWithoutImprovement = 0;
            return true;
        }

        EpochsWithoutImprovement++;
        return false;
    }
}
