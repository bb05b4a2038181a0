namespace TransferLearning.Training;

/// <summary>
/// Learning rate of each trainable parameter group (base blocks bottom to top, then the head): one rate for all,
/// fastai's <c>slice(lo, hi)</c> (geometric from <see cref="Low"/> at the lowest trainable group to <see cref="High"/>
/// at the head), or each lower group <see cref="LowerGroupFactor"/> times smaller than the one above it.
/// </summary>
public sealed record LearningRates
{
    private LearningRates(double high, double? low, double? factor)
    {
        High = high;
        Low = low;
        LowerGroupFactor = factor;
    }

    /// <summary>The rate of the head (the top group).</summary>
    public double High { get; }

    /// <summary>For a slice: the rate of the lowest trainable group.</summary>
    public double? Low { get; }

    /// <summary>For a decay: how many times smaller each group's rate is than the one above it.</summary>
    public double? LowerGroupFactor { get; }

    /// <summary>Whether groups get different rates.</summary>
    public bool IsDiscriminative => Low is not null || LowerGroupFactor is not null;

    /// <summary>Implicit conversion from one rate for every group.</summary>
    /// <param name="rate">The rate.</param>
    public static implicit operator LearningRates(double rate) => Constant(rate);

    /// <summary>One rate for every group.</summary>
    /// <param name="rate">Positive rate.</param>
    public static LearningRates Constant(double rate)
    {
        CheckRate(rate, nameof(rate));
        return new(rate, null, null);
    }

    /// <summary>fastai's <c>slice(low, high)</c>: rates spaced geometrically from the lowest trainable group to the head.</summary>
    /// <param name="low">Rate of the lowest trainable group.</param>
    /// <param name="high">Rate of the head; at least <paramref name="low"/>.</param>
    public static LearningRates Slice(double low, double high)
    {
        CheckRate(low, nameof(low));
        CheckRate(high, nameof(high));
        if (low > high)
        {
            throw new ArgumentOutOfRangeException(nameof(low), low, $"The low rate must not exceed the high rate {high}.");
        }

        return new(high, low, null);
    }

    /// <summary>The head at <paramref name="high"/>, each lower group <paramref name="factor"/> times smaller.</summary>
    /// <param name="high">Rate of the head.</param>
    /// <param name="factor">At least 1 (for example 2.6, ULMFiT's choice, or 10).</param>
    public static LearningRates Decay(double high, double factor)
    {
        CheckRate(high, nameof(high));
        if (double.IsNaN(factor) || double.IsInfinity(factor) || factor < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The factor must be a finite number of at least 1.");
        }

        return new(high, null, factor);
    }

    /// <summary>The rates of <paramref name="groups"/> trainable groups, lowest first (the last is the head's).</summary>
    /// <param name="groups">Number of trainable groups, at least 1.</param>
    public IReadOnlyList<double> ForGroups(int groups)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groups);
        var rates = new double[groups];
        for (int i = 0; i < groups; i++)
        {
            int fromTop = groups - 1 - i;
            if (Low is double low)
            {
                rates[i] = groups == 1 ? High : low * Math.Pow(High / low, (double)i / (groups - 1));
            }
            else if (LowerGroupFactor is double f)
            {
                rates[i] = High / Math.Pow(f, fromTop);
            }
            else
            {
                rates[i] = High;
            }
        }

        return rates;
    }

    /// <inheritdoc/>
    public override string ToString() => Low is double l ? $"slice({l:G3}, {High:G3})" : LowerGroupFactor is double f ? $"{High:G3} / {f:G3}^depth" : High.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);

    private static void CheckRate(double rate, string name)
    {
        if (double.IsNaN(rate) || double.IsInfinity(rate) || rate <= 0)
        {
            throw new ArgumentOutOfRangeException(name, rate, "A learning rate must be a positive finite number.");
        }
    }
}
