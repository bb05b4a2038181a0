using TorchSharp;
using TransferLearning.Backbones;
using TransferLearning.Data;
using TransferLearning.Heads;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning;

/// <summary>
/// Builds a <see cref="TransferModel"/>: a catalogue backbone with its weights, optionally truncated after a named block,
/// with a new head. Every setting is validated at <see cref="Build"/>, before any weights are touched; the builder can
/// be reused and each <see cref="Build"/> yields a new model.
/// </summary>
/// <example>
/// <code>
/// using var model = new TransferModelBuilder()
///     .WithBackbone("resnet18_cntk")
///     .WithWeights(Weights.ImageNet)
///     .WithHead(new HeadOptions { HiddenSizes = [256], Dropout = 0.3 })
///     .WithClasses(["cat", "dog"])
///     .Build();
/// </code>
/// </example>
public sealed class TransferModelBuilder
{
    private string? backbone;
    private IWeightsSource? weights;
    private string? truncateAfter;
    private HeadOptions head = new();
    private IReadOnlyList<string>? classNames;
    private int? inputSize;
    private ImagePreprocessing? preprocessing;
    private bool keepBatchNormInInferenceMode = true;
    private Device? device;
    private long? seed;

    /// <summary>Sets the backbone by catalogue id (see <see cref="BackboneCatalog"/>). Required.</summary>
    /// <param name="name">Catalogue id, for example "resnet18".</param>
    public TransferModelBuilder WithBackbone(string name)
    {
        backbone = name;
        return this;
    }

    /// <summary>Sets the backbone. Required.</summary>
    /// <param name="info">Catalogue entry.</param>
    public TransferModelBuilder WithBackbone(BackboneInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        backbone = info.Name;
        return this;
    }

    /// <summary>Sets where the base's weights come from. Default: ImageNet (<c>Weights.ImageNet</c>, as Keras' <c>weights="imagenet"</c>); <c>Weights.Random</c> for a randomly initialised base.</summary>
    /// <param name="source">Weights source.</param>
    public TransferModelBuilder WithWeights(IWeightsSource source)
    {
        weights = source ?? throw new ArgumentNullException(nameof(source));
        return this;
    }

    /// <summary>Keeps only the blocks up to and including <paramref name="block"/> (for target data unlike ImageNet). Default: the full base.</summary>
    /// <param name="block">Last block to keep, or <see langword="null"/> for the full base.</param>
    public TransferModelBuilder TruncateAfter(string? block)
    {
        truncateAfter = block;
        return this;
    }

    /// <summary>Sets the head layout. Default: <c>new HeadOptions()</c>.</summary>
    /// <param name="options">Head layout.</param>
    public TransferModelBuilder WithHead(HeadOptions options)
    {
        head = options ?? throw new ArgumentNullException(nameof(options));
        return this;
    }

    /// <summary>Sets the class names, in output order. Required (or <see cref="WithClassCount"/>).</summary>
    /// <param name="names">At least two distinct, non-empty names.</param>
    public TransferModelBuilder WithClasses(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        classNames = names.ToArray();
        return this;
    }

    /// <summary>Sets the number of classes, named "0", "1", ...</summary>
    /// <param name="count">At least 2.</param>
    public TransferModelBuilder WithClassCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        classNames = Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return this;
    }

    /// <summary>Sets the square input size. Default: the backbone's (224).</summary>
    /// <param name="size">Side in pixels, at least the backbone's minimum (32).</param>
    public TransferModelBuilder WithInputSize(int size)
    {
        inputSize = size;
        return this;
    }

    /// <summary>Overrides the preprocessing (for example Keras "caffe" mode for Keras VGG16 weights). Default: the backbone's.</summary>
    /// <param name="value">Preprocessing.</param>
    public TransferModelBuilder WithPreprocessing(ImagePreprocessing value)
    {
        preprocessing = value ?? throw new ArgumentNullException(nameof(value));
        return this;
    }

    /// <summary>Whether every BatchNorm of the base stays in inference mode during fine-tuning. Default true (Keras' advice).</summary>
    /// <param name="value">The setting.</param>
    public TransferModelBuilder KeepBatchNormInInferenceMode(bool value)
    {
        keepBatchNormInInferenceMode = value;
        return this;
    }

    /// <summary>
    /// Sets the device the model is created on. Default: CPU. CUDA (<c>ComputeDevice.Parse("cuda:0")</c>, <c>new Device(DeviceType.CUDA, 1)</c>,
    /// <see cref="ComputeDevice.Parse"/>) needs a CUDA build of TorchSharp (NuGet <c>TorchSharp-cuda-linux</c> or
    /// <c>TorchSharp-cuda-windows</c>); <see cref="Build"/> checks that the device exists before loading any weights.
    /// Trainers, evaluators and predictors move each batch to the model's device.
    /// </summary>
    /// <param name="value">The device.</param>
    public TransferModelBuilder OnDevice(Device value)
    {
        device = value ?? throw new ArgumentNullException(nameof(value));
        return this;
    }

    /// <summary>Seeds the random initialisation of the head (and of a randomly initialised base). Default: not seeded.</summary>
    /// <param name="value">The seed.</param>
    public TransferModelBuilder WithSeed(long value)
    {
        seed = value;
        return this;
    }

    /// <summary>Validates every setting, then creates the base, loads its weights, truncates it and adds the head.</summary>
    /// <param name="cancellationToken">Cancels loading the weights.</param>
    /// <returns>A new model with the base frozen, in inference mode.</returns>
    /// <exception cref="InvalidOperationException">No backbone or no classes were set.</exception>
    /// <exception cref="ArgumentException">A setting is invalid; the message says which and why.</exception>
    /// <exception cref="DeviceUnavailableException">The device set with <see cref="OnDevice"/> is a GPU that is not available; the message names the CUDA package to reference.</exception>
    public TransferModel Build(CancellationToken cancellationToken = default)
    {
        var spec = Validate();
        if (device is not null)
        {
            ComputeDevice.EnsureAvailable(device);
        }

        var info = BackboneCatalog.Get(spec.Backbone);
        var source = weights ?? TransferLearning.Weights.Weights.ImageNet;

        if (seed is long s)
        {
            random.manual_seed(s);
        }

        var full = BackboneModule.Create(info);
        try
        {
            source.LoadInto(full, cancellationToken);
        }
        catch
        {
            full.Dispose();
            throw;
        }

        var @base = spec.TruncateAfter is null ? full : full.TruncateAfter(spec.TruncateAfter);
        bool truncated = @base.IsTruncated;
        int featureSize = ComputeFeatureSize(@base, spec);
        bool normalize = spec.Head.InputNormalization switch
        {
            InputNormalization.BatchNorm => true,
            InputNormalization.None => false,
            _ => truncated,
        };

        var head = new ClassifierHead(spec.Head, featureSize, spec.ClassNames.Count, normalize);
        var model = new TransferModel(@base, head, spec with { WeightsDescription = source.Description, WeightsFingerprint = source.Fingerprint });
        model.eval();
        if (device is not null && device.type != DeviceType.CPU)
        {
            model.to(device);
        }

        return model;
    }

    /// <summary>Validates the settings without building anything.</summary>
    /// <returns>The spec the model will have.</returns>
    public TransferModelSpec Validate()
    {
        if (string.IsNullOrWhiteSpace(backbone))
        {
            throw new InvalidOperationException($"No backbone set. Call WithBackbone with one of: {string.Join(", ", BackboneCatalog.All.Select(b => b.Name))}.");
        }

        var info = BackboneCatalog.Get(backbone);
        if (classNames is null)
        {
            throw new InvalidOperationException("No classes set. Call WithClasses or WithClassCount.");
        }

        if (classNames.Count < 2)
        {
            throw new ArgumentException($"A classifier needs at least 2 classes; {classNames.Count} given.", "classNames");
        }

        if (classNames.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("Class names must not be empty.", "classNames");
        }

        var duplicate = classNames.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Class name '{duplicate.Key}' appears more than once.", "classNames");
        }

        head.Validate();
        if (truncateAfter is not null)
        {
            info.IndexOfBlock(truncateAfter); // throws with the valid names
        }

        int size = inputSize ?? preprocessing?.InputSize ?? info.DefaultInputSize;
        if (size < info.MinInputSize)
        {
            throw new ArgumentOutOfRangeException("inputSize", size, $"Backbone '{info.Name}' needs inputs of at least {info.MinInputSize} pixels.");
        }

        var prep = (preprocessing ?? info.Preprocessing).WithInputSize(size);
        if (preprocessing is not null && preprocessing.InputSize == size)
        {
            prep = preprocessing;
        }

        prep.Validate();
        return new TransferModelSpec
        {
            Backbone = info.Name,
            TruncateAfter = truncateAfter is null ? null : info.GetBlock(truncateAfter).Name,
            Head = head,
            ClassNames = classNames.ToArray(),
            InputSize = size,
            Preprocessing = prep,
            KeepBatchNormInInferenceMode = keepBatchNormInInferenceMode,
        };
    }

    /// <summary>Creates a builder that rebuilds the architecture of <paramref name="spec"/> with a randomly initialised base (load saved weights afterwards).</summary>
    /// <param name="spec">A model's spec.</param>
    public static TransferModelBuilder FromSpec(TransferModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new TransferModelBuilder()
            .WithBackbone(spec.Backbone)
            .WithWeights(RandomWeights.Instance)
            .TruncateAfter(spec.TruncateAfter)
            .WithHead(spec.Head)
            .WithClasses(spec.ClassNames)
            .WithInputSize(spec.InputSize)
            .WithPreprocessing(spec.Preprocessing)
            .KeepBatchNormInInferenceMode(spec.KeepBatchNormInInferenceMode);
    }

    private static int ComputeFeatureSize(BackboneModule @base, TransferModelSpec spec)
    {
        int channels = @base.OutputChannels;
        if (spec.Head.Pooling != PoolingKind.Flatten)
        {
            return spec.Head.Pooling == PoolingKind.AverageMax ? 2 * channels : channels;
        }

        // Flatten depends on the spatial size: measure it with one dry forward pass.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool wasTraining = @base.training;
        @base.eval();
        var map = @base.call(zeros(1, 3, spec.InputSize, spec.InputSize));
        if (wasTraining)
        {
            @base.train();
        }

        return (int)(map.shape[1] * map.shape[2] * map.shape[3]);
    }
}
