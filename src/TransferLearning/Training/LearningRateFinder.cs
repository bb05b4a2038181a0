using TorchSharp;
using TorchSharp.Modules;
using TransferLearning.Data;
using TransferLearning.Metrics;
using static TorchSharp.torch;

namespace TransferLearning.Training;

/// <summary>
/// fastai-style learning-rate finder: trains the currently trainable parameters for a few steps while the rate grows
/// exponentially, records the smoothed loss, suggests a rate, and puts the weights (and BatchNorm statistics) back.
/// Freeze or unfreeze the model first to sweep the phase you are about to run.
/// </summary>
public static class LearningRateFinder
{
    /// <summary>Runs the sweep.</summary>
    /// <param name="model">The model (restored afterwards).</param>
    /// <param name="data">Training data.</param>
    /// <param name="options">Settings; default <c>new LearningRateFinderOptions()</c>.</param>
    /// <param name="loss">Loss settings; default plain cross-entropy.</param>
    /// <param name="cancellationToken">Stops the sweep (the weights are still restored).</param>
    /// <returns>The curve and suggestions.</returns>
    /// <exception cref="InvalidOperationException">The sweep diverged before producing enough points.</exception>
    public static LearningRateFinderResult Find(TransferModel model, IBatchSource data, LearningRateFinderOptions? options = null, LossOptions? loss = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        options ??= new LearningRateFinderOptions();
        options.Validate();
        loss ??= new LossOptions();
        loss.Validate();
        Evaluator.CheckClasses(model, data);
        if (options.Seed is long seed)
        {
            random.manual_seed(seed);
        }

        var parameters = model.parameters().Where(p => p.requires_grad).ToArray();
        var rates = new List<double>();
        var losses = new List<double>();
        bool wasTraining = model.training;
        using var snapshot = WeightsSnapshot.Capture(model);
        using var weights = loss.ClassWeights is { } w ? tensor(w.ToArray()).to(model.Device) : null;
        using optim.Optimizer optimizer = options.Optimizer switch
        {
            OptimizerKind.AdamW => optim.AdamW(parameters, lr: options.StartLearningRate),
            OptimizerKind.SgdMomentum => optim.SGD(parameters, options.StartLearningRate, momentum: 0.9),
            _ => optim.Adam(parameters, lr: options.StartLearningRate),
        };
        try
        {
            model.train();
            double ratio = options.EndLearningRate / options.StartLearningRate;
            double avg = 0, bestLoss = double.PositiveInfinity;
            int step = 0;
            var device = model.Device;
            for (int epoch = 0; step < options.Steps; epoch++)
            {
                bool any = false;
                foreach (var batch in data.GetBatches(epoch, cancellationToken))
                {
                    using (batch)
                    {
                        any = true;
                        cancellationToken.ThrowIfCancellationRequested();
                        using var scope = NewDisposeScope();
                        double lr = options.StartLearningRate * Math.Pow(ratio, (double)step / (options.Steps - 1));
                        foreach (var g in optimizer.ParamGroups)
                        {
                            g.LearningRate = lr;
                        }

                        optimizer.zero_grad();
                        var logits = model.call(batch.Images.to(device));
                        var l = nn.functional.cross_entropy(logits, batch.Labels.to(device), weights, label_smoothing: loss.LabelSmoothing);
                        double value = l.item<float>();
                        if (!double.IsFinite(value))
                        {
                            step = options.Steps;
                            break;
                        }

                        l.backward();
                        optimizer.step();
                        avg = (options.Smoothing * avg) + ((1 - options.Smoothing) * value);
                        double smoothed = avg / (1 - Math.Pow(options.Smoothing, step + 1));
                        rates.Add(lr);
                        losses.Add(smoothed);
                        bestLoss = Math.Min(bestLoss, smoothed);
                        step++;
                        if (step >= options.Steps || smoothed > options.DivergenceFactor * bestLoss)
                        {
                            step = options.Steps;
                            break;
                        }
                    }
                }

                if (!any)
                {
                    throw new InvalidOperationException("The data yielded no batch.");
                }
            }
        }
        finally
        {
            snapshot.RestoreTo(model);
            model.train(wasTraining);
        }

        if (rates.Count < 3)
        {
            throw new InvalidOperationException($"The sweep produced only {rates.Count} points before the loss diverged; lower StartLearningRate.");
        }

        return new LearningRateFinderResult
        {
            LearningRates = rates,
            Losses = losses,
            Steepest = Steepest(rates, losses),
            Valley = Valley(rates, losses),
            MinimumOverTen = rates[IndexOfMin(losses)] / 10,
        };
    }

    private static int IndexOfMin(IReadOnlyList<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++)
        {
            if (values[i] < values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static double Steepest(IReadOnlyList<double> rates, IReadOnlyList<double> losses)
    {
        int best = 0;
        double bestSlope = double.PositiveInfinity;
        for (int i = 1; i < rates.Count; i++)
        {
            double slope = (losses[i] - losses[i - 1]) / (Math.Log(rates[i]) - Math.Log(rates[i - 1]));
            if (slope < bestSlope)
            {
                bestSlope = slope;
                best = i;
            }
        }

        return rates[best];
    }

    // fastai's valley: the longest strictly decreasing run (O(n^2) longest decreasing subsequence), then 2/3 of the way down it.
    private static double Valley(IReadOnlyList<double> rates, IReadOnlyList<double> losses)
    {
        int n = losses.Count;
        var length = new int[n];
        Array.Fill(length, 1);
        int maxStart = 0, maxEnd = 0;
        for (int i = 1; i < n; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (losses[i] < losses[j] && length[i] < length[j] + 1)
                {
                    length[i] = length[j] + 1;
                }
            }

            if (length[i] > length[maxEnd])
            {
                maxEnd = i;
                maxStart = i - length[i] + 1;
            }
        }

        maxStart = Math.Max(0, maxStart);
        int sections = (maxEnd - maxStart) / 3;
        int index = maxStart + (2 * sections);
        return rates[Math.Clamp(index, 0, n - 1)];
    }
}
