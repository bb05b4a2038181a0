using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Training;

namespace TransferLearning.Cli.Commands;

/// <summary>Options of <c>tl train</c> (and, for the data and model part, <c>tl lr-find</c>).</summary>
public class TrainSettings : DeviceSettings
{
    /// <summary>Training images, one subfolder per class.</summary>
    [CommandOption("--data <DIR>")]
    [Description("Training images, one subfolder per class.")]
    public string? Data { get; init; }

    /// <summary>Separate validation folder (same class subfolders); default: split off --data.</summary>
    [CommandOption("--val <DIR>")]
    [Description("Validation images (same class subfolders). Default: a stratified split of --data.")]
    public string? Validation { get; init; }

    /// <summary>Fraction of --data held out for validation when --val is not given.</summary>
    [CommandOption("--val-split <F>")]
    [Description("Fraction of --data held out (stratified) for validation when --val is not given.")]
    [DefaultValue(0.2)]
    public double ValidationSplit { get; init; } = 0.2;

    /// <summary>Backbone catalogue id.</summary>
    [CommandOption("--backbone <NAME>")]
    [Description("Backbone (see 'tl backbones'), e.g. resnet18_cntk (ImageNet weights offline), mobilenet_v2, vgg16.")]
    public string? Backbone { get; init; }

    /// <summary>Weights of the base: imagenet, random or a file.</summary>
    [CommandOption("--weights <SOURCE>")]
    [Description("imagenet (default), random, or a weights file (.pth, .safetensors, .h5, .onnx, .dat).")]
    [DefaultValue("imagenet")]
    public string Weights { get; init; } = "imagenet";

    /// <summary>Input size in pixels.</summary>
    [CommandOption("--image-size <S>")]
    [Description("Square input size in pixels. Default: the backbone's (224).")]
    public int? ImageSize { get; init; }

    /// <summary>Batch size.</summary>
    [CommandOption("--batch-size <B>")]
    [Description("Images per batch.")]
    [DefaultValue(32)]
    public int BatchSize { get; init; } = 32;

    /// <summary>Seed of the split, the shuffling and the head's initialisation.</summary>
    [CommandOption("--seed <S>")]
    [Description("Seed of the split, shuffling and initialisation (CPU runs repeat exactly).")]
    [DefaultValue(42)]
    public int Seed { get; init; } = 42;

    /// <summary>Random crops, flips and colour jitter while training.</summary>
    [CommandOption("--augment")]
    [Description("Random crops, flips, small rotations and colour jitter while training (disables the feature cache).")]
    public bool Augment { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        if (ValidationSplit is <= 0 or >= 1 && Validation is null)
        {
            return ValidationResult.Error($"--val-split must be between 0 and 1 (exclusive), got {ValidationSplit.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (ImageSize is int s && s < 32)
        {
            return ValidationResult.Error($"--image-size must be at least 32, got {s}.");
        }

        if (ImageSize is int big && big > Persistence.ModelFileLimits.MaxInputSize)
        {
            return ValidationResult.Error($"--image-size must be at most {Persistence.ModelFileLimits.MaxInputSize} (the largest input a model file may hold), got {big}.");
        }

        if (BatchSize < 1)
        {
            return ValidationResult.Error($"--batch-size must be at least 1, got {BatchSize}.");
        }

        return ValidationResult.Success();
    }
}

/// <summary>Options of <c>tl train</c>.</summary>
public sealed class TrainCommandSettings : TrainSettings
{
    /// <summary>Epochs of phase 1 (feature extraction).</summary>
    [CommandOption("--epochs-head <N>")]
    [Description("Epochs of phase 1, feature extraction (base frozen). 0 skips it.")]
    [DefaultValue(5)]
    public int EpochsHead { get; init; } = 5;

    /// <summary>Epochs of phase 2 (fine-tuning).</summary>
    [CommandOption("--epochs-finetune <N>")]
    [Description("Epochs of phase 2, fine-tuning of the top --unfreeze blocks. 0 skips it.")]
    [DefaultValue(5)]
    public int EpochsFineTune { get; init; } = 5;

    /// <summary>Top blocks unfrozen in phase 2.</summary>
    [CommandOption("--unfreeze <K>")]
    [Description("Top blocks of the base unfrozen in phase 2.")]
    [DefaultValue(TrainingPlan.DefaultUnfrozenBlocks)]
    public int Unfreeze { get; init; } = TrainingPlan.DefaultUnfrozenBlocks;

    /// <summary>Learning rate of phase 1.</summary>
    [CommandOption("--lr-head <X>")]
    [Description("Learning rate of phase 1 (Adam).")]
    [DefaultValue(1e-3)]
    public double LearningRateHead { get; init; } = 1e-3;

    /// <summary>Learning rate of phase 2.</summary>
    [CommandOption("--lr-finetune <Y>")]
    [Description("Learning rate of phase 2 (Adam), for the unfrozen blocks and the head.")]
    [DefaultValue(1e-5)]
    public double LearningRateFineTune { get; init; } = 1e-5;

    /// <summary>Train the head from cached base features.</summary>
    [CommandOption("--cache")]
    [Description("Phase 1: compute the frozen base's features once and train the head from them (not with --augment).")]
    public bool Cache { get; init; }

    /// <summary>Model file to write.</summary>
    [CommandOption("--output <MODEL>")]
    [Description("Model file to write (.tlm); curves.png and confusion.png are written beside it.")]
    public string? Output { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        var baseResult = base.Validate();
        if (!baseResult.Successful)
        {
            return baseResult;
        }

        if (EpochsHead < 0 || EpochsFineTune < 0 || EpochsHead + EpochsFineTune == 0)
        {
            return ValidationResult.Error("--epochs-head and --epochs-finetune must be >= 0 and not both 0.");
        }

        if (Unfreeze < 1)
        {
            return ValidationResult.Error($"--unfreeze must be at least 1, got {Unfreeze}.");
        }

        if (!(LearningRateHead > 0) || !(LearningRateFineTune > 0) || !double.IsFinite(LearningRateHead) || !double.IsFinite(LearningRateFineTune))
        {
            return ValidationResult.Error("--lr-head and --lr-finetune must be positive numbers.");
        }

        return ValidationResult.Success();
    }
}
