using TransferLearning.Cleaning;

namespace TransferLearning.Tests.Cleaning;

/// <summary>The pieces of <see cref="DatasetCleaner"/> on small synthetic inputs.</summary>
public sealed class CleaningAlgorithmsTests
{
    [Fact]
    public void FindIssues_ConfidentOtherClass_FlaggedAndRankedBySelfConfidence()
    {
        float[]?[] p =
        [
            [0.9f, 0.1f], // label 0, fine
            [0.8f, 0.2f], // label 0, fine
            [0.1f, 0.9f], // label 1, fine
            [0.2f, 0.8f], // label 1, fine
            [0.05f, 0.95f], // label 0 but confidently 1: issue, self-confidence 0.05
            [0.12f, 0.88f], // label 0, 0.88 >= threshold of class 1 (0.85): issue, self-confidence 0.12
            null, // skipped
        ];
        int[] labels = [0, 0, 1, 1, 0, 0, 1];

        var thresholds = ConfidentLearning.Thresholds(p, labels, 2);
        var issues = ConfidentLearning.FindIssues(p, labels, thresholds);

        Assert.Equal((0.9 + 0.8 + 0.05 + 0.12) / 4, thresholds[0], 6);
        Assert.Equal((0.9 + 0.8) / 2, thresholds[1], 6);
        Assert.Equal([(4, 1), (5, 1)], issues);
    }

    [Fact]
    public void FindIssues_NothingAboveAnyThreshold_NotFlagged()
    {
        float[]?[] p = [[0.5f, 0.5f], [0.9f, 0.1f], [0.1f, 0.9f]];
        int[] labels = [0, 0, 1];
        var issues = ConfidentLearning.FindIssues(p, labels, [0.7, 0.9]);
        Assert.Empty(issues);
    }

    [Fact]
    public void NearDuplicates_ScaledCopyAndExcludedRow_FoundOnlyAmongIncluded()
    {
        // Rows 0 and 2 point the same way (cosine 1); row 3 copies row 1 but is excluded.
        float[] features = [1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 1, 0, 0.6f, 0.8f, 0];
        var pairs = NearDuplicates.Find(features, 3, [true, true, true, false, true], 0.99, 100);
        var pair = Assert.Single(pairs);
        Assert.Equal((0, 2), (pair.A, pair.B));
        Assert.Equal(1.0, pair.Similarity, 5);
    }

    [Fact]
    public void NearDuplicates_ManyRows_SameAsBruteForce()
    {
        var random = new Random(3);
        int n = 1500, f = 4; // more rows than one block
        var features = Enumerable.Range(0, n * f).Select(_ => (float)random.NextDouble()).ToArray();
        var pairs = NearDuplicates.Find(features, f, Enumerable.Repeat(true, n).ToArray(), 0.9995, 1_000_000);

        int expected = 0;
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double dot = 0, ni = 0, nj = 0;
                for (int k = 0; k < f; k++)
                {
                    dot += features[(i * f) + k] * features[(j * f) + k];
                    ni += features[(i * f) + k] * features[(i * f) + k];
                    nj += features[(j * f) + k] * features[(j * f) + k];
                }

                // Leave a margin for float32 rounding at the threshold.
                double cosine = dot / Math.Sqrt(ni * nj);
                if (cosine >= 0.9995 + 1e-5)
                {
                    expected++;
                    Assert.Contains(pairs, p => p.A == i && p.B == j);
                }
            }
        }

        Assert.True(expected > 0, "the random draw gave no pair above the threshold; pick another seed");
        Assert.All(pairs, p => Assert.True(p.A < p.B));
    }

    [Fact]
    public void OutOfFold_SeparableClustersWithOneFlippedLabel_FlippedSampleGetsLowProbability()
    {
        var random = new Random(5);
        int perClass = 20, f = 8;
        var features = new List<float>();
        var labels = new List<int>();
        for (int c = 0; c < 2; c++)
        {
            for (int i = 0; i < perClass; i++)
            {
                for (int k = 0; k < f; k++)
                {
                    features.Add((float)((k == c ? 3.0 : 0.0) + (random.NextDouble() * 0.5)));
                }

                labels.Add(c);
            }
        }

        labels[3] = 1; // a class-0 point labelled 1
        var p = OutOfFoldProbabilities.Compute(features.ToArray(), f, labels, 2, new CleaningOptions { Folds = 4 });

        Assert.True(p[(3 * 2) + 1] < 0.2, $"p(given label) of the flipped sample: {p[(3 * 2) + 1]}");
        for (int i = 0; i < labels.Count; i++)
        {
            Assert.Equal(1.0, p[i * 2] + p[(i * 2) + 1], 4);
        }
    }

    [Fact]
    public void StratifiedFolds_EveryFoldGetsEveryLargeClass()
    {
        int[] labels = [.. Enumerable.Repeat(0, 10), .. Enumerable.Repeat(1, 10), 2];
        var folds = OutOfFoldProbabilities.StratifiedFolds(labels, 5, 1);
        for (int k = 0; k < 5; k++)
        {
            Assert.Equal(2, Enumerable.Range(0, 10).Count(i => folds[i] == k));
            Assert.Equal(2, Enumerable.Range(10, 10).Count(i => folds[i] == k));
        }
    }

    [Fact]
    public void Options_BadValues_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CleaningOptions { Folds = 1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new CleaningOptions { DuplicateThreshold = 1.5 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new CleaningOptions { Steps = 0 }.Validate());
    }
}
