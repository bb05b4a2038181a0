using TorchSharp;
using TransferLearning.Backbones;
using TransferLearning.Data;
using TransferLearning.Heads;
using TransferLearning.Summaries;
using static TorchSharp.torch;

namespace TransferLearning;

/// <summary>
/// A pretrained CNN base (optionally truncated) with a new classifier head. State-dict keys are
/// <c>backbone.&lt;torchvision key&gt;</c> and <c>head.pool...</c>/<c>head.mlp.N...</c>.
/// Created by <see cref="TransferModelBuilder"/>; starts with the base frozen (feature extraction).
/// </summary>
/// <remarks>
/// BatchNorm policy: BatchNorm layers in frozen blocks always stay in inference mode, so their running statistics are
/// never updated; with <see cref="KeepBatchNormInInferenceMode"/> (the default, as the Keras guide recommends) every
/// BatchNorm of the base stays in inference mode during fine-tuning too. The policy is re-applied by every call to
/// <see cref="train(bool)"/> and by every freeze operation. Head layers (dropout, BatchNorm1d) follow the mode normally.
/// </remarks>
public sealed class TransferModel : nn.Module<Tensor, Tensor>
{
    private readonly BackboneModule backbone;
    private readonly ClassifierHead head;
    private readonly bool[] trainable;
    private bool keepBatchNormInInferenceMode;

    internal TransferModel(BackboneModule backbone, ClassifierHead head, TransferModelSpec spec) : base(nameof(TransferModel))
    {
        this.backbone = backbone;
        this.head = head;
        Spec = spec;
        trainable = new bool[backbone.BlockCount];
        keepBatchNormInInferenceMode = spec.KeepBatchNormInInferenceMode;
        RegisterComponents();
        FreezeBase();
    }

    /// <summary>The architecture and metadata of this model (without weights).</summary>
    public TransferModelSpec Spec { get; private set; }

    /// <summary>The base.</summary>
    public BackboneModule Base => backbone;

    /// <summary>The head.</summary>
    public ClassifierHead Head => head;

    /// <summary>The catalogue entry of the base.</summary>
    public BackboneInfo Backbone => backbone.Info;

    /// <summary>Class names, in output order.</summary>
    public IReadOnlyList<string> ClassNames => Spec.ClassNames;

    /// <summary>Number of classes.</summary>
    public int ClassCount => Spec.ClassNames.Count;

    /// <summary>Size of the pooled features the head takes.</summary>
    public int FeatureSize => head.FeatureSize;

    /// <summary>Square input size in pixels.</summary>
    public int InputSize => Spec.InputSize;

    /// <summary>The preprocessing input images need.</summary>
    public ImagePreprocessing Preprocessing => Spec.Preprocessing;

    /// <summary>Names of the base blocks present, bottom to top.</summary>
    public IReadOnlyList<string> BlockNames => backbone.BlockNames;

    /// <summary>The device the parameters live on.</summary>
    public Device Device => head.parameters().First().device;

    /// <summary>
    /// Whether every BatchNorm layer of the base stays in inference mode, even in unfrozen blocks (Keras' advice for
    /// fine-tuning). Default true. BatchNorm layers in frozen blocks are always in inference mode.
    /// </summary>
    public bool KeepBatchNormInInferenceMode
    {
        get => keepBatchNormInInferenceMode;
        set
        {
            keepBatchNormInInferenceMode = value;
            Spec = Spec with { KeepBatchNormInInferenceMode = value };
            ApplyBatchNormPolicy();
        }
    }

    /// <summary>Names of the base blocks that currently train, bottom to top.</summary>
    public IReadOnlyList<string> TrainableBlocks => BlockNames.Where((_, i) => trainable[i]).ToArray();

    /// <summary>Whether the whole base is frozen.</summary>
    public bool IsBaseFrozen => trainable.All(t => !t);

    /// <summary>Number of parameters (elements) that currently train.</summary>
    public long TrainableParameterCount => parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    /// <summary>Number of parameters (elements) in the model.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Whether the named base block currently trains.</summary>
    /// <param name="block">Block name.</param>
    /// <exception cref="ArgumentException">Unknown block; the message lists the valid names.</exception>
    public bool IsBlockTrainable(string block) => trainable[IndexOfPresentBlock(block)];

    /// <summary>Freezes every base block (feature extraction); the head stays trainable.</summary>
    public void FreezeBase() => SetTrainableFrom(backbone.BlockCount);

    /// <summary>Makes the top <paramref name="blocks"/> base blocks trainable and freezes the others.</summary>
    /// <param name="blocks">Number of blocks, 0 to <see cref="BlockNames"/>.Count.</param>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or more blocks than the base has.</exception>
    public void UnfreezeTop(int blocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);
        if (blocks > backbone.BlockCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(blocks), blocks, $"The base has {backbone.BlockCount} blocks ({string.Join(", ", BlockNames)}).");
        }

        SetTrainableFrom(backbone.BlockCount - blocks);
    }

    /// <summary>Makes the named block and every block above it trainable, and freezes the blocks below.</summary>
    /// <param name="block">Lowest block to train.</param>
    /// <exception cref="ArgumentException">Unknown block; the message lists the valid names.</exception>
    public void UnfreezeFrom(string block) => SetTrainableFrom(IndexOfPresentBlock(block));

    /// <summary>Makes every base block trainable.</summary>
    public void UnfreezeAll() => SetTrainableFrom(0);

    /// <summary>Parameter groups, one per base block bottom to top, then the head; for discriminative learning rates.</summary>
    public IReadOnlyList<ParameterGroup> GetParameterGroups()
    {
        var groups = new List<ParameterGroup>();
        int count = backbone.BlockCount;
        for (int i = 0; i < count; i++)
        {
            groups.Add(new ParameterGroup(BlockNames[i], count - i, backbone.GetBlockParameters(i), trainable[i]));
        }

        groups.Add(new ParameterGroup("head", 0, head.parameters().ToArray(), true));
        return groups;
    }

    /// <summary>Pooled base features <c>[N, FeatureSize]</c> for preprocessed images <c>[N, 3, S, S]</c>.</summary>
    /// <param name="images">Preprocessed images.</param>
    public Tensor ExtractFeatures(Tensor images)
    {
        using var scope = NewDisposeScope();
        return head.Pool.call(backbone.call(images)).MoveToOuterDisposeScope();
    }

    /// <summary>Logits <c>[N, classes]</c> from pooled features <c>[N, FeatureSize]</c>.</summary>
    /// <param name="features">Pooled features, as from <see cref="ExtractFeatures"/>.</param>
    public Tensor ClassifyFeatures(Tensor features) => head.Mlp.call(features);

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return head.call(backbone.call(input)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Keras' <c>model.summary()</c>: per base block the output shape at <see cref="InputSize"/>, the parameters, whether
    /// the block trains or is frozen and how its BatchNorm layers behave; the head's layers; totals. Print it with
    /// <c>Console.WriteLine(model.Summary())</c>. Runs one forward pass of a blank image without gradients; the model's
    /// mode and BatchNorm statistics are left as they were.
    /// </summary>
    public ModelSummary Summary() => ModelSummary.Create(this);

    /// <summary>A one-line description: base, input size, classes, parameters (see <see cref="Summary"/> for the table).</summary>
    public override string ToString() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"TransferModel({Backbone.Name}{(Spec.TruncateAfter is null ? "" : " cut after " + Spec.TruncateAfter)}, input {InputSize}, {ClassCount} classes, {ParameterCount:N0} parameters, {TrainableParameterCount:N0} trainable, trainable blocks: {(IsBaseFrozen ? "none" : string.Join(", ", TrainableBlocks))})");

    /// <summary>Sets training or inference mode, then re-applies the BatchNorm policy of the base.</summary>
    /// <param name="on">Training mode when true.</param>
    public override void train(bool on = true)
    {
        base.train(on);
        ApplyBatchNormPolicy();
    }

    private int IndexOfPresentBlock(string block)
    {
        int index = backbone.Info.IndexOfBlock(block);
        if (index >= backbone.BlockCount)
        {
            throw new ArgumentException(
                $"Block '{block}' was removed by truncation. Present blocks: {string.Join(", ", BlockNames)}.", nameof(block));
        }

        return index;
    }

    private void SetTrainableFrom(int firstTrainable)
    {
        for (int i = 0; i < backbone.BlockCount; i++)
        {
            bool on = i >= firstTrainable;
            trainable[i] = on;
            foreach (var p in backbone.GetBlockParameters(i))
            {
                p.requires_grad = on;
            }
        }

        foreach (var p in head.parameters())
        {
            p.requires_grad = true;
        }

        ApplyBatchNormPolicy();
    }

    private void ApplyBatchNormPolicy()
    {
        if (!training)
        {
            return; // everything is in inference mode already
        }

        for (int i = 0; i < backbone.BlockCount; i++)
        {
            bool inference = !trainable[i] || keepBatchNormInInferenceMode;
            foreach (var bn in backbone.GetBlockBatchNorms(i))
            {
                bn.train(!inference);
            }
        }
    }
}
