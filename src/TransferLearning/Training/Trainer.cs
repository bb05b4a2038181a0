using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using TransferLearning.Data;
using TransferLearning.Metrics;
using static TorchSharp.torch;

namespace TransferLearning.Training;

/// <summary>
/// Trains a <see cref="TransferModel"/> through the phases of a <see cref="TrainingPlan"/>: for each phase it sets the
/// trainable blocks, builds an optimizer with one parameter group per trainable block (so discriminative rates apply),
/// runs the epochs with the model in <c>train()</c> mode (the model keeps frozen BatchNorm layers in inference mode) and
/// validates in <c>eval()</c> mode. While the base is frozen and the data deterministic, the head trains from cached
/// base features.
/// </summary>
/// <remarks>
/// <para>Cancellation: the fit stops before the next batch and returns the history so far with
/// <see cref="TrainingHistory.WasCancelled"/> set (no exception); the model then holds the best weights so far (see
/// <see cref="TrainerOptions.RestoreBestWeightsOnCancel"/>). Checkpoints are only ever written whole.</para>
/// <para>A NaN or infinite loss throws <see cref="NonFiniteLossException"/> before the bad step is applied.</para>
/// <para>A trainer is not thread-safe; run one fit at a time.</para>
/// </remarks>
/// <example>
/// <code>
/// using var trainer = new Trainer(model, new TrainerOptions { Seed = 42 });
/// var history = trainer.Fit(train, validation, TrainingPlan.Default(headEpochs: 5, fineTuneEpochs: 5),
///     callbacks: [new EarlyStopping()]);
/// </code>
/// </example>
public sealed class Trainer : IDisposable
{
    private readonly TransferModel model;
    private readonly TrainerOptions options;
    private FeatureCache? trainCache;
    private FeatureCache? validationCache;

    /// <summary>Creates a trainer for <paramref name="model"/>.</summary>
    /// <param name="model">The model to train (trained in place).</param>
    /// <param name="options">Settings; default <c>new TrainerOptions()</c>.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public Trainer(TransferModel model, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        this.options = options ?? new TrainerOptions();
        this.options.Validate();
        if (this.options.Loss.ClassWeights is { } w && w.Count != model.ClassCount)
        {
            throw new ArgumentException($"ClassWeights has {w.Count} values but the model has {model.ClassCount} classes.", nameof(options));
        }
    }

    /// <summary>The model.</summary>
    public TransferModel Model => model;

    /// <summary>The settings.</summary>
    public TrainerOptions Options => options;

    /// <summary>How many times base features were computed for a cache (diagnostics: a reused cache does not count).</summary>
    public int FeatureCacheBuilds { get; private set; }

    /// <summary>Runs <see cref="Fit"/> on a thread-pool thread.</summary>
    /// <param name="train">Training data.</param>
    /// <param name="validation">Validation data, or <see langword="null"/>.</param>
    /// <param name="plan">The plan; default <see cref="TrainingPlan.Default"/>.</param>
    /// <param name="callbacks">Callbacks, called in order.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Stops the fit within one batch.</param>
    public Task<TrainingHistory> FitAsync(IBatchSource train, IBatchSource? validation = null, TrainingPlan? plan = null, IEnumerable<TrainingCallback>? callbacks = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var list = callbacks?.ToArray();
        return Task.Run(() => Fit(train, validation, plan, list, progress, cancellationToken), CancellationToken.None);
    }

    /// <summary>Trains the model through every phase of <paramref name="plan"/>.</summary>
    /// <param name="train">Training data.</param>
    /// <param name="validation">Validation data, or <see langword="null"/>.</param>
    /// <param name="plan">The plan; default <see cref="TrainingPlan.Default"/>.</param>
    /// <param name="callbacks">Callbacks, called in order.</param>
    /// <param name="progress">Progress reports.</param>
    /// <param name="cancellationToken">Stops the fit within one batch; the history so far is returned.</param>
    /// <returns>Every completed epoch, and how the fit ended.</returns>
    /// <exception cref="ArgumentException">The plan is invalid or the data's classes do not match the model's.</exception>
    /// <exception cref="NonFiniteLossException">The loss became NaN or infinite.</exception>
    public TrainingHistory Fit(IBatchSource train, IBatchSource? validation = null, TrainingPlan? plan = null, IEnumerable<TrainingCallback>? callbacks = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        plan ??= TrainingPlan.Default();
        plan.Validate();
        Evaluator.CheckClasses(model, train);
        if (validation is not null)
        {
            Evaluator.CheckClasses(model, validation);
        }

        foreach (var phase in plan.Phases)
        {
            phase.Blocks.TrainableBlockCount(model); // unknown block names fail here, before training
        }

        var run = new FitRun(this, train, validation, plan, callbacks?.ToArray() ?? Array.Empty<TrainingCallback>(), progress, cancellationToken);
        try
        {
            return run.Execute();
        }
        finally
        {
            run.Dispose();
        }
    }

    /// <summary>Drops the cached features (memory and open files; spilled files stay for reuse).</summary>
    public void ClearFeatureCache()
    {
        trainCache?.Dispose();
        validationCache?.Dispose();
        trainCache = null;
        validationCache = null;
    }

    /// <inheritdoc/>
    public void Dispose() => ClearFeatureCache();

    internal FeatureCache GetCache(IBatchSource source, bool validation, string key, CancellationToken ct)
    {
        var current = validation ? validationCache : trainCache;
        if (current is not null && current.Key == key)
        {
            return current;
        }

        current?.Dispose();
        var built = FeatureCache.Build(model, source, options.FeatureCache, key, ct, out bool computed);
        if (computed)
        {
            FeatureCacheBuilds++;
        }
        if (validation)
        {
            validationCache = built;
        }
        else
        {
            trainCache = built;
        }

        options.Logger?.LogDebug("Feature cache {Key} ({Samples} samples, {Where}).", key[..12], built.SampleCount, built.IsOnDisk ? built.FilePath : "memory");
        return built;
    }

    /// <summary>The state of one fit.</summary>
    private sealed class FitRun : IDisposable
    {
        private readonly Trainer owner;
        private readonly TransferModel model;
        private readonly TrainerOptions options;
        private readonly IBatchSource train;
        private readonly IBatchSource? validation;
        private readonly TrainingPlan plan;
        private readonly TrainingCallback[] callbacks;
        private readonly IProgress<TrainingProgress>? progress;
        private readonly CancellationToken ct;
        private readonly List<EpochRecord> history = new();
        private readonly TrainingContext context;
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly List<(Tensor Live, Tensor Saved)> buffers = new();
        private readonly Dictionary<IBatchSource, string> cacheKeys = new(ReferenceEqualityComparer.Instance);
        private readonly MetricMonitor bestMonitor;
        private readonly Tensor? classWeights;
        private WeightsSnapshot? best;
        private TimeSpan lastReport = TimeSpan.MinValue;
        private bool cancelled;

        public FitRun(Trainer owner, IBatchSource train, IBatchSource? validation, TrainingPlan plan, TrainingCallback[] callbacks, IProgress<TrainingProgress>? progress, CancellationToken ct)
        {
            this.owner = owner;
            model = owner.model;
            options = owner.options;
            this.train = train;
            this.validation = validation;
            this.plan = plan;
            this.callbacks = callbacks;
            this.progress = progress;
            this.ct = ct;
            context = new TrainingContext(model, plan, history, options.Logger, ct);
            bestMonitor = new MetricMonitor(options.Monitor, MonitorMode.Auto, 0);
            if (options.Loss.ClassWeights is { } w)
            {
                classWeights = tensor(w.ToArray()).to(model.Device);
                classWeights.DetachFromDisposeScope();
            }

            foreach (var (_, b) in model.named_buffers())
            {
                var saved = b.detach().clone();
                saved.DetachFromDisposeScope();
                buffers.Add((b, saved));
            }
        }

        public TrainingHistory Execute()
        {
            if (options.Seed is long seed)
            {
                random.manual_seed(seed);
            }

            foreach (var c in callbacks)
            {
                c.OnFitStart(context);
            }

            string? stopReason = null;
            int globalEpoch = 0;
            long totalBatches = (long)plan.TotalEpochs * Math.Max(1, train.BatchesPerEpoch);
            long batchesDone = 0;
            try
            {
                for (int p = 0; p < plan.Phases.Count && !cancelled; p++)
                {
                    var phase = plan.Phases[p];
                    context.Phase = phase;
                    context.PhaseIndex = p;
                    context.PhaseEpoch = 0;
                    model.UnfreezeTop(phase.TrainableBlocksAt(model, 0));
                    cacheKeys.Clear(); // the base only changes while some block trains, so a key holds for a frozen phase
                    var groups = SelectGroups(phase);
                    var rates = phase.LearningRate.ForGroups(groups.Count);
                    using var optimizer = CreateOptimizer(phase, groups, rates);
                    var optimizerGroups = optimizer.ParamGroups.ToArray();
                    options.Logger?.LogInformation(
                        "Phase {Phase}: {Epochs} epochs, blocks {Blocks}, {Optimizer} lr {Rates}, schedule {Schedule}.",
                        phase.Name, phase.Epochs, phase.Blocks, phase.Optimizer, phase.LearningRate, phase.Schedule);
                    foreach (var c in callbacks)
                    {
                        c.OnPhaseStart(context);
                    }

                    double plateauFactor = 1;
                    var plateau = new MetricMonitor(phase.Schedule.Monitor, phase.Schedule.Mode, 0);
                    long phaseSteps = (long)phase.Epochs * Math.Max(1, train.BatchesPerEpoch);
                    long step = 0;
                    var phaseClock = Stopwatch.StartNew();
                    long phaseBatches = 0;
                    for (int e = 0; e < phase.Epochs; e++)
                    {
                        ct.ThrowIfCancellationRequested();
                        globalEpoch++;
                        context.PhaseEpoch = e + 1;
                        context.Epoch = globalEpoch;
                        context.Batch = 0;
                        int trainableBlocks = phase.TrainableBlocksAt(model, e);
                        if (trainableBlocks != model.TrainableBlocks.Count)
                        {
                            model.UnfreezeTop(trainableBlocks);
                            options.Logger?.LogInformation("Gradual unfreezing: {Blocks} now train.", string.Join(", ", model.TrainableBlocks));
                        }

                        foreach (var c in callbacks)
                        {
                            c.OnEpochStart(context);
                        }

                        var epochClock = Stopwatch.StartNew();
                        bool useCache = options.FeatureCache.Enabled && model.IsBaseFrozen && train.IsDeterministic;
                        double lossSum = 0;
                        long correct = 0, seen = 0;
                        var batches = useCache ? CachedBatches(owner.GetCache(train, false, CacheKey(train), ct), train, e) : SourceBatches(train, e);
                        model.train();
                        foreach (var (input, labels, dispose) in batches)
                        {
                            using var scope = NewDisposeScope();
                            try
                            {
                                ct.ThrowIfCancellationRequested();
                                double multiplier = phase.Schedule.Multiplier(step, phaseSteps, e) * plateauFactor;
                                for (int g = 0; g < optimizerGroups.Length; g++)
                                {
                                    optimizerGroups[g].LearningRate = rates[g] * multiplier;
                                }

                                context.Batch++;
                                var (loss, hits, count) = Step(optimizer, groups, input, labels, useCache, phase.Name, e + 1, context.Batch);
                                lossSum += loss * count;
                                correct += hits;
                                seen += count;
                                context.BatchLoss = loss;
                            }
                            finally
                            {
                                dispose?.Dispose();
                            }

                            step++;
                            batchesDone++;
                            phaseBatches++;
                            foreach (var c in callbacks)
                            {
                                c.OnBatchEnd(context);
                            }

                            Report(phase, p, e, context.Batch, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen), optimizerGroups[^1].LearningRate,
                                phaseClock.Elapsed.TotalSeconds / phaseBatches * (totalBatches - batchesDone));
                            if (context.StopRequested)
                            {
                                break;
                            }
                        }

                        if (seen == 0)
                        {
                            throw new InvalidOperationException($"Phase '{phase.Name}', epoch {e + 1}: the training data yielded no batch.");
                        }

                        ClassificationMetrics? metrics = validation is null ? null : Validate(validation);
                        var record = new EpochRecord
                        {
                            Phase = phase.Name,
                            PhaseIndex = p,
                            PhaseEpoch = e + 1,
                            Epoch = globalEpoch,
                            TrainLoss = lossSum / seen,
                            TrainAccuracy = (double)correct / seen,
                            TrainSamples = seen,
                            Validation = metrics,
                            LearningRates = groups.Select((g, i) => (g.Name, optimizerGroups[i].LearningRate)).ToDictionary(t => t.Name, t => t.LearningRate),
                            TrainableBlocks = model.TrainableBlocks,
                            UsedFeatureCache = useCache,
                            Seconds = epochClock.Elapsed.TotalSeconds,
                        };
                        history.Add(record);
                        options.Logger?.LogInformation(
                            "{Phase} epoch {Epoch}/{Epochs}: loss {Loss:F4} acc {Acc:F4} val_loss {ValLoss:F4} val_acc {ValAcc:F4} ({Seconds:F1} s{Cache})",
                            phase.Name, e + 1, phase.Epochs, record.TrainLoss, record.TrainAccuracy, record.ValidationLoss ?? double.NaN, record.ValidationAccuracy ?? double.NaN, record.Seconds, useCache ? ", cached features" : "");
                        if (bestMonitor.Update(record) && options.RestoreBestWeightsOnCancel)
                        {
                            if (best is null)
                            {
                                best = WeightsSnapshot.Capture(model);
                            }
                            else
                            {
                                best.Update(model);
                            }
                        }

                        if (phase.Schedule.Kind == ScheduleKind.ReduceOnPlateau && !plateau.Update(record) && plateau.EpochsWithoutImprovement > phase.Schedule.Patience)
                        {
                            plateauFactor = Math.Max(phase.Schedule.MinFactor, plateauFactor * phase.Schedule.Gamma);
                            plateau.Reset();
                            plateau.Update(record);
                            options.Logger?.LogInformation("Reduce on plateau: learning rates now x{Factor:G3}.", plateauFactor);
                        }

                        foreach (var c in callbacks)
                        {
                            c.OnEpochEnd(context);
                        }

                        if (context.StopRequested)
                        {
                            break;
                        }
                    }

                    foreach (var c in callbacks)
                    {
                        c.OnPhaseEnd(context);
                    }

                    if (context.StopRequested)
                    {
                        stopReason = context.StopReason;
                        if (context.StopScope == StopScope.Fit)
                        {
                            break;
                        }

                        context.ClearStop();
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                cancelled = true;
                stopReason = "Cancelled.";
                if (best is not null)
                {
                    best.RestoreTo(model);
                    options.Logger?.LogInformation("Cancelled; restored the weights of the best epoch so far.");
                }
                else
                {
                    options.Logger?.LogInformation("Cancelled before the first epoch completed; the model keeps the weights of the last completed step.");
                }
            }
            finally
            {
                model.eval();
            }

            context.WasCancelled = cancelled;
            foreach (var c in callbacks)
            {
                c.OnFitEnd(context);
            }

            return new TrainingHistory
            {
                Epochs = history.ToArray(),
                WasCancelled = cancelled,
                StopReason = stopReason,
                Seconds = clock.Elapsed.TotalSeconds,
            };
        }

        public void Dispose()
        {
            best?.Dispose();
            classWeights?.Dispose();
            foreach (var (_, saved) in buffers)
            {
                saved.Dispose();
            }
        }

        private (double Loss, long Hits, long Count) Step(optim.Optimizer optimizer, IReadOnlyList<ParameterGroup> groups, Tensor input, Tensor labels, bool fromFeatures, string phase, int epoch, int batch)
        {
            using (no_grad())
            {
                foreach (var (live, saved) in buffers)
                {
                    saved.copy_(live);
                }
            }

            optimizer.zero_grad();
            var logits = fromFeatures ? model.ClassifyFeatures(input) : model.call(input);
            var loss = nn.functional.cross_entropy(logits, labels, classWeights, label_smoothing: options.Loss.LabelSmoothing);
            double value = loss.item<float>();
            if (!double.IsFinite(value))
            {
                using (no_grad())
                {
                    foreach (var (live, saved) in buffers)
                    {
                        live.copy_(saved);
                    }
                }

                model.eval();
                throw new NonFiniteLossException(phase, epoch, batch, value);
            }

            loss.backward();
            if (options.GradientClipNorm is double clip)
            {
                nn.utils.clip_grad_norm_(groups.SelectMany(g => g.Parameters).Where(p => p.requires_grad), clip);
            }

            optimizer.step();
            long hits = logits.argmax(1).eq(labels).sum().item<long>();
            return (value, hits, labels.shape[0]);
        }

        private ClassificationMetrics Validate(IBatchSource source)
        {
            var accumulator = new MetricsAccumulator(model.ClassNames, options.TopK);
            bool useCache = options.FeatureCache.Enabled && model.IsBaseFrozen && source.IsDeterministic;
            var batches = useCache ? CachedBatches(owner.GetCache(source, true, CacheKey(source), ct), source, 0, inOrder: true) : SourceBatches(source, 0);
            model.eval();
            try
            {
                using var noGrad = no_grad();
                foreach (var (input, labels, dispose) in batches)
                {
                    using var scope = NewDisposeScope();
                    try
                    {
                        ct.ThrowIfCancellationRequested();
                        var logits = useCache ? model.ClassifyFeatures(input) : model.call(input);
                        double loss = nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
                        accumulator.Add(logits, labels, loss);
                    }
                    finally
                    {
                        dispose?.Dispose();
                    }
                }
            }
            finally
            {
                model.train();
            }

            return accumulator.ToMetrics();
        }

        private IEnumerable<(Tensor Input, Tensor Labels, IDisposable? Dispose)> SourceBatches(IBatchSource source, int epoch)
        {
            var device = model.Device;
            foreach (var batch in source.GetBatches(epoch, ct))
            {
                if (device.type == DeviceType.CPU)
                {
                    yield return (batch.Images, batch.Labels, batch);
                }
                else
                {
                    var x = batch.Images.to(device);
                    var y = batch.Labels.to(device);
                    batch.Dispose();
                    x.DetachFromDisposeScope();
                    y.DetachFromDisposeScope();
                    yield return (x, y, new TensorPair(x, y));
                }
            }
        }

        private IEnumerable<(Tensor Input, Tensor Labels, IDisposable? Dispose)> CachedBatches(FeatureCache cache, IBatchSource source, int epoch, bool inOrder = false)
        {
            IEnumerable<IReadOnlyList<int>> order;
            if (source is IBatchOrderSource ordered)
            {
                order = ordered.GetBatchIndices(epoch);
            }
            else
            {
                int[] indices = Enumerable.Range(0, cache.SampleCount).Where(cache.IsPresent).ToArray();
                if (!inOrder)
                {
                    new Random(unchecked((int)((options.Seed ?? 0) * 1_000_003) + epoch)).Shuffle(indices);
                }

                order = indices.Chunk(Math.Max(1, cache.BatchSize));
            }

            var device = model.Device;
            foreach (var batch in order)
            {
                var present = batch.Where(cache.IsPresent).ToArray();
                if (present.Length == 0)
                {
                    continue;
                }

                var (x, y) = cache.Gather(present, device);
                x.DetachFromDisposeScope();
                y.DetachFromDisposeScope();
                yield return (x, y, new TensorPair(x, y));
            }
        }

        private string CacheKey(IBatchSource source)
        {
            if (!cacheKeys.TryGetValue(source, out string? key))
            {
                key = FeatureCacheKey.Compute(model, source);
                cacheKeys[source] = key;
            }

            return key;
        }

        private IReadOnlyList<ParameterGroup> SelectGroups(TrainingPhase phase)
        {
            int maxBlocks = phase.TrainableBlocksAt(model, phase.Epochs - 1);
            var all = model.GetParameterGroups();
            int baseCount = all.Count - 1;
            var selected = all.Skip(baseCount - maxBlocks).Where(g => g.Parameters.Count > 0).ToList();
            return selected;
        }

        private static optim.Optimizer CreateOptimizer(TrainingPhase phase, IReadOnlyList<ParameterGroup> groups, IReadOnlyList<double> rates)
        {
            double wd = phase.WeightDecay;
            double top = rates[^1];
            return phase.Optimizer switch
            {
                OptimizerKind.AdamW => optim.AdamW(groups.Select((g, i) => new AdamW.ParamGroup(g.Parameters, lr: rates[i], weight_decay: wd)).ToArray(), lr: top, weight_decay: wd),
                OptimizerKind.SgdMomentum => optim.SGD(groups.Select((g, i) => new SGD.ParamGroup(g.Parameters, lr: rates[i], momentum: phase.Momentum, weight_decay: wd)).ToArray(), learningRate: top, momentum: phase.Momentum, weight_decay: wd),
                _ => optim.Adam(groups.Select((g, i) => new Adam.ParamGroup(g.Parameters, lr: rates[i], weight_decay: wd)).ToArray(), lr: top, weight_decay: wd),
            };
        }

        private void Report(TrainingPhase phase, int phaseIndex, int epoch, int batch, double loss, double accuracy, double lr, double etaSeconds)
        {
            if (progress is null)
            {
                return;
            }

            var now = clock.Elapsed;
            if (options.ProgressInterval > TimeSpan.Zero && now - lastReport < options.ProgressInterval && batch < train.BatchesPerEpoch)
            {
                return;
            }

            lastReport = now;
            progress.Report(new TrainingProgress
            {
                Phase = phase.Name,
                PhaseIndex = phaseIndex,
                PhaseCount = plan.Phases.Count,
                Epoch = epoch + 1,
                Epochs = phase.Epochs,
                Batch = batch,
                Batches = train.BatchesPerEpoch,
                Loss = loss,
                Accuracy = accuracy,
                LearningRate = lr,
                Elapsed = now,
                Eta = double.IsFinite(etaSeconds) && etaSeconds >= 0 ? TimeSpan.FromSeconds(etaSeconds) : null,
            });
        }
    }

    private sealed class TensorPair(Tensor a, Tensor b) : IDisposable
    {
        public void Dispose()
        {
            a.Dispose();
            b.Dispose();
        }
    }
}
