using TorchSharp;
using static TorchSharp.torch;

namespace TransferLearning.Cleaning;

/// <summary>
/// Out-of-fold class probabilities from k linear (multinomial logistic-regression) heads trained on pooled features:
/// samples are split into stratified folds, and each sample is scored by the head that did not see it.
/// </summary>
public static class OutOfFoldProbabilities
{
    /// <summary>Assigns every sample to one of <paramref name="folds"/> folds, class by class, after a seeded shuffle.</summary>
    /// <param name="labels">Label of each sample.</param>
    /// <param name="folds">Number of folds (at least 2).</param>
    /// <param name="seed">Shuffle seed.</param>
    /// <returns>The fold of each sample.</returns>
    public static int[] StratifiedFolds(IReadOnlyList<int> labels, int folds, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        var fold = new int[labels.Count];
        var random = new Random(seed);
        int offset = 0;
        foreach (var group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            for (int i = 0; i < members.Length; i++)
            {
                // Continue the round-robin across classes so small classes do not all land in fold 0.
                fold[members[i]] = (offset + i) % folds;
            }

            offset += members.Length;
        }

        return fold;
    }

    /// <summary>Computes out-of-fold probabilities.</summary>
    /// <param name="features">Row-major features <c>[n, featureSize]</c>.</param>
    /// <param name="featureSize">Feature size.</param>
    /// <param name="labels">Label of each of the n samples, in [0, <paramref name="classes"/>).</param>
    /// <param name="classes">Number of classes (at least 2).</param>
    /// <param name="options">Folds, steps, learning rate, weight decay and seed.</param>
    /// <param name="cancellationToken">Cancels between folds.</param>
    /// <returns>Row-major probabilities <c>[n, classes]</c>.</returns>
    /// <exception cref="ArgumentException">Sizes do not match, a label is out of range, or there are fewer samples than folds.</exception>
    public static float[] Compute(float[] features, int featureSize, IReadOnlyList<int> labels, int classes, CleaningOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        int n = labels.Count;
        if ((long)n * featureSize != features.LongLength)
        {
            throw new ArgumentException($"Expected {n} x {featureSize} features, got {features.LongLength} values.", nameof(features));
        }

        if (labels.Any(l => l < 0 || l >= classes))
        {
            throw new ArgumentException($"Labels must be in [0, {classes}).", nameof(labels));
        }

        if (n < options.Folds)
        {
            throw new ArgumentException($"{n} samples cannot be split into {options.Folds} folds.", nameof(labels));
        }

        var fold = StratifiedFolds(labels, options.Folds, options.Seed);
        var result = new float[(long)n * classes];
        using var all = tensor(features, new long[] { n, featureSize });
        for (int k = 0; k < options.Folds; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var trainIndex = Enumerable.Range(0, n).Where(i => fold[i] != k).ToArray();
            var testIndex = Enumerable.Range(0, n).Where(i => fold[i] == k).ToArray();
            if (testIndex.Length == 0)
            {
                continue;
            }

            var probabilities = FitAndPredict(all, labels, trainIndex, testIndex, classes, options);
            for (int t = 0; t < testIndex.Length; t++)
            {
                Array.Copy(probabilities, t * classes, result, (long)testIndex[t] * classes, classes);
            }
        }

        return result;
    }

    private static float[] FitAndPredict(Tensor all, IReadOnlyList<int> labels, int[] trainIndex, int[] testIndex, int classes, CleaningOptions options)
    {
        using var scope = NewDisposeScope();
        var x = all.index_select(0, tensor(trainIndex.Select(i => (long)i).ToArray()));
        var xTest = all.index_select(0, tensor(testIndex.Select(i => (long)i).ToArray()));
        var y = tensor(trainIndex.Select(i => (long)labels[i]).ToArray());

        // Standardise with the training fold's statistics (features of different backbones differ in scale).
        var mean = x.mean(new long[] { 0 }, keepdim: true);
        var std = x.std(0, keepdim: true).clamp_min(1e-6);
        x = (x - mean) / std;
        xTest = (xTest - mean) / std;

        int f = (int)x.shape[1];
        using var w = new TorchSharp.Modules.Parameter(zeros(f, classes), requires_grad: true);
        using var b = new TorchSharp.Modules.Parameter(zeros(classes), requires_grad: true);
        using var optimizer = optim.Adam(new[] { w, b }, options.LearningRate);
        for (int step = 0; step < options.Steps; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var logits = x.matmul(w) + b;
            var loss = nn.functional.cross_entropy(logits, y) + (options.WeightDecay * w.pow(2).sum());
            loss.backward();
            optimizer.step();
        }

        using var noGrad = no_grad();
        var probabilities = nn.functional.softmax(xTest.matmul(w) + b, 1).contiguous();
        return probabilities.data<float>().ToArray();
    }
}
