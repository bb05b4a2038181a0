using TransferLearning.Data;
using static TorchSharp.torch;

namespace TransferLearning.Metrics;

/// <summary>Computes <see cref="ClassificationMetrics"/> of a model on a data set.</summary>
public static class Evaluator
{
    /// <summary>
    /// Runs the model in inference mode over every batch of <paramref name="data"/> (epoch 0) and computes the metrics,
    /// with the loss as plain cross-entropy. The model's training mode is restored afterwards.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="data">The data; its class names must match the model's.</param>
    /// <param name="options">Options; default <c>new EvaluationOptions()</c>.</param>
    /// <param name="cancellationToken">Stops between batches with <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="ArgumentException">The data's classes differ from the model's.</exception>
    public static ClassificationMetrics Evaluate(TransferModel model, IBatchSource data, EvaluationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        options ??= new EvaluationOptions();
        options.Validate();
        CheckClasses(model, data);
        var accumulator = new MetricsAccumulator(model.ClassNames, options.TopK);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            var device = model.Device;
            foreach (var batch in data.GetBatches(0, cancellationToken))
            {
                using (batch)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var labels = batch.Labels.to(device);
                    var logits = model.call(batch.Images.to(device));
                    double loss = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                    accumulator.Add(logits, labels, loss);
                }
            }
        }
        finally
        {
            model.train(wasTraining);
        }

        return accumulator.ToMetrics();
    }

    internal static void CheckClasses(TransferModel model, IBatchSource data)
    {
        if (data.ClassNames.Count != model.ClassCount)
        {
            throw new ArgumentException(
                $"The data has {data.ClassNames.Count} classes ({string.Join(", ", data.ClassNames)}) but the model has {model.ClassCount} ({string.Join(", ", model.ClassNames)}).",
                nameof(data));
        }
    }
}
