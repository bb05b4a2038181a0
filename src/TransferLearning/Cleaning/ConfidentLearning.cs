namespace TransferLearning.Cleaning;

/// <summary>
/// Confident learning (Northcutt et al., cleanlab): per-class thresholds are the mean out-of-fold probability of a
/// class over the images labelled with it; an image is a label issue when the most probable class among those above
/// their threshold is not its given label. Issues are ranked by self-confidence (the probability of the given label).
/// </summary>
public static class ConfidentLearning
{
    /// <summary>Per-class thresholds: mean probability of class j over the samples labelled j (1 for a class without samples).</summary>
    /// <param name="probabilities">Per sample: class probabilities, or <see langword="null"/> for a sample to ignore.</param>
    /// <param name="labels">Given label of each sample.</param>
    /// <param name="classes">Number of classes.</param>
    public static double[] Thresholds(IReadOnlyList<float[]?> probabilities, IReadOnlyList<int> labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        var sum = new double[classes];
        var count = new int[classes];
        for (int i = 0; i < labels.Count; i++)
        {
            if (probabilities[i] is { } p)
            {
                sum[labels[i]] += p[labels[i]];
                count[labels[i]]++;
            }
        }

        return Enumerable.Range(0, classes).Select(j => count[j] == 0 ? 1.0 : sum[j] / count[j]).ToArray();
    }

    /// <summary>Finds the samples whose confidently predicted class differs from their given label.</summary>
    /// <param name="probabilities">Per sample: out-of-fold class probabilities, or <see langword="null"/> for a skipped sample.</param>
    /// <param name="labels">Given label of each sample.</param>
    /// <param name="thresholds">Per-class thresholds, from <see cref="Thresholds"/>.</param>
    /// <returns>(index, suggested class) of each issue, most suspicious (lowest probability of the given label) first.</returns>
    public static IReadOnlyList<(int Index, int Suggested)> FindIssues(IReadOnlyList<float[]?> probabilities, IReadOnlyList<int> labels, IReadOnlyList<double> thresholds)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(thresholds);
        if (probabilities.Count != labels.Count)
        {
            throw new ArgumentException("One probability row per label is needed.", nameof(probabilities));
        }

        var issues = new List<(int Index, int Suggested, double Self)>();
        for (int i = 0; i < labels.Count; i++)
        {
            if (probabilities[i] is not { } p)
            {
                continue;
            }

            int best = -1;
            for (int j = 0; j < p.Length; j++)
            {
                if (p[j] >= thresholds[j] && (best < 0 || p[j] > p[best]))
                {
                    best = j;
                }
            }

            if (best >= 0 && best != labels[i])
            {
                issues.Add((i, best, p[labels[i]]));
            }
        }

        return issues.OrderBy(t => t.Self).ThenBy(t => t.Index).Select(t => (t.Index, t.Suggested)).ToArray();
    }
}
