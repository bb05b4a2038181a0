using TorchSharp;
using TransferLearning.Data;
using TransferLearning.Metrics;
using static TorchSharp.torch;

namespace TransferLearning.Cli.Report;

/// <summary>Computes what <c>report.html</c> shows: per-image probabilities and losses, metrics, most-confused pairs, top losses.</summary>
internal static class ReportBuilder
{
    /// <summary>Runs the model over a labelled dataset (evaluation transform, inference mode) and returns one result per readable image.</summary>
    /// <param name="model">The model; its class order defines the labels of <paramref name="dataset"/>.</param>
    /// <param name="dataset">Labelled images, labels in model class order.</param>
    /// <param name="batchSize">Images per batch.</param>
    /// <param name="onImages">Called with the number of images of each batch read (progress), or null.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    public static (IReadOnlyList<SampleResult> Samples, IReadOnlyList<BadFileEntry> Skipped) Evaluate(
        TransferModel model, ImageDataset dataset, int batchSize, Action<int>? onImages, CancellationToken cancellationToken)
    {
        var loader = new DataLoader(dataset, ImageTransform.ForEvaluation(model.Preprocessing), new DataLoaderOptions { BatchSize = batchSize, Shuffle = false });
        var results = new SampleResult?[dataset.Count];
        bool wasTraining = model.training;
        try
        {
            model.eval();
            using var noGrad = no_grad();
            foreach (var batch in loader.GetBatches(0, cancellationToken))
            {
                using (batch)
                {
                    onImages?.Invoke(batch.Count);
                    using var scope = NewDisposeScope();
                    var probabilities = nn.functional.softmax(model.call(batch.Images.to(model.Device)), 1).to(ScalarType.Float32).cpu().contiguous();
                    var values = probabilities.data<float>().ToArray();
                    int classes = model.ClassCount;
                    for (int i = 0; i < batch.Count; i++)
                    {
                        int index = batch.Indices[i];
                        var sample = dataset.Samples[index];
                        results[index] = new SampleResult(sample.Path, sample.Label, values.AsSpan(i * classes, classes).ToArray());
                    }
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        return (results.Where(r => r is not null).Select(r => r!).ToArray(), loader.Report.Entries);
    }

    /// <summary>Metrics of the results (the library's definitions: confusion-matrix based precision, recall, F1).</summary>
    public static ClassificationMetrics Metrics(IReadOnlyList<string> classNames, IReadOnlyList<SampleResult> samples, int topK = 5)
    {
        int c = classNames.Count;
        int k = Math.Min(topK, c);
        var confusion = new long[c, c];
        double lossSum = 0;
        long topKHits = 0;
        foreach (var s in samples)
        {
            confusion[s.Label, s.Predicted]++;
            lossSum += s.Loss;
            var rank = s.Probabilities.Count(p => p > s.Probabilities[s.Label]);
            if (rank < k)
            {
                topKHits++;
            }
        }

        return ClassificationMetrics.FromConfusion(classNames, confusion, lossSum, k, topKHits);
    }

    /// <summary>Off-diagonal cells of the confusion matrix with at least <paramref name="minCount"/> images, largest first (fastai's <c>most_confused</c>).</summary>
    public static IReadOnlyList<ConfusedPair> MostConfused(ClassificationMetrics metrics, long minCount = 1)
    {
        var pairs = new List<ConfusedPair>();
        for (int r = 0; r < metrics.ClassNames.Count; r++)
        {
            for (int c = 0; c < metrics.ClassNames.Count; c++)
            {
                if (r != c && metrics.ConfusionMatrix[r][c] >= minCount)
                {
                    pairs.Add(new ConfusedPair(metrics.ClassNames[r], metrics.ClassNames[c], metrics.ConfusionMatrix[r][c]));
                }
            }
        }

        return pairs.OrderByDescending(p => p.Count).ThenBy(p => p.Actual, StringComparer.Ordinal).ThenBy(p => p.Predicted, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The images with the largest loss, largest first (fastai's <c>top_losses</c>).</summary>
    public static IReadOnlyList<SampleResult> TopLosses(IReadOnlyList<SampleResult> samples, int count) =>
        samples.OrderByDescending(s => s.Loss).ThenBy(s => s.Path, StringComparer.Ordinal).Take(count).ToArray();
}
