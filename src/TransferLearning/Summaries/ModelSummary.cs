using System.Globalization;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TransferLearning.Summaries;

/// <summary>
/// What <see cref="TransferModel.Summary"/> returns (Keras' <c>model.summary()</c>): per base block the output shape at
/// the model's input size, the parameters, whether the block trains and how its BatchNorm layers behave; the head's
/// layers; totals. <see cref="ToString"/> formats it as a table.
/// </summary>
public sealed record ModelSummary
{
    /// <summary>Catalogue id of the base.</summary>
    public required string Backbone { get; init; }

    /// <summary>Display name of the base.</summary>
    public required string BackboneDisplayName { get; init; }

    /// <summary>Description of the weights the base was loaded with, or <see langword="null"/>.</summary>
    public string? Weights { get; init; }

    /// <summary>Block the base was truncated after, or <see langword="null"/> for the full base.</summary>
    public string? TruncatedAfter { get; init; }

    /// <summary>Square input size in pixels.</summary>
    public required int InputSize { get; init; }

    /// <summary>Number of classes.</summary>
    public required int ClassCount { get; init; }

    /// <summary>The device the parameters live on ("cpu", "cuda:0", ...).</summary>
    public required string Device { get; init; }

    /// <summary>Base blocks, bottom to top.</summary>
    public required IReadOnlyList<BlockSummary> Blocks { get; init; }

    /// <summary>Head layers, input to output (the pooling layer first).</summary>
    public required IReadOnlyList<HeadLayerSummary> HeadLayers { get; init; }

    /// <summary>Total number of parameters (elements).</summary>
    public long TotalParameters => BaseParameters + HeadParameters;

    /// <summary>Parameters of the base.</summary>
    public long BaseParameters => Blocks.Sum(b => b.Parameters);

    /// <summary>Parameters of the head.</summary>
    public long HeadParameters => HeadLayers.Sum(l => l.Parameters);

    /// <summary>Parameters that currently train.</summary>
    public long TrainableParameters => Blocks.Where(b => b.IsTrainable).Sum(b => b.Parameters) + HeadLayers.Where(l => l.IsTrainable).Sum(l => l.Parameters);

    /// <summary>Parameters that are currently frozen.</summary>
    public long FrozenParameters => TotalParameters - TrainableParameters;

    /// <summary>Builds the summary of a model: one forward pass of a blank image at the model's input size, without gradients and without changing the model's mode.</summary>
    /// <param name="model">The model.</param>
    internal static ModelSummary Create(TransferModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool wasTraining = model.training;
        var blocks = new List<BlockSummary>();
        var head = new List<HeadLayerSummary>();
        try
        {
            model.eval(); // no BatchNorm statistics are touched by the dry pass
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var device = model.Device;
            var x = zeros(1, 3, model.InputSize, model.InputSize, device: device);
            for (int i = 0; i < model.Base.BlockCount; i++)
            {
                foreach (var module in model.Base.GetBlockModules(i))
                {
                    x = module.call(x);
                }

                int batchNorms = model.Base.GetBlockBatchNorms(i).Count;
                bool trainable = model.IsBlockTrainable(model.BlockNames[i]);
                blocks.Add(new BlockSummary
                {
                    Name = model.BlockNames[i],
                    OutputShape = x.shape.ToArray(),
                    Parameters = model.Base.GetBlockParameters(i).Sum(p => p.numel()),
                    IsTrainable = trainable,
                    BatchNormLayers = batchNorms,
                    BatchNorm = batchNorms == 0 ? BatchNormMode.None
                        : !trainable || model.KeepBatchNormInInferenceMode ? BatchNormMode.Inference : BatchNormMode.Training,
                });
            }

            x = model.Head.Pool.call(x);
            head.Add(new HeadLayerSummary
            {
                Name = "pool",
                Layer = $"{model.Head.Options.Pooling}Pooling",
                OutputShape = x.shape.ToArray(),
                Parameters = 0,
                IsTrainable = false,
            });
            foreach (var (name, module) in model.Head.Mlp.named_children())
            {
                x = ((nn.Module<Tensor, Tensor>)module).call(x);
                var parameters = module.parameters().ToArray();
                head.Add(new HeadLayerSummary
                {
                    Name = "mlp." + name,
                    Layer = Describe(module),
                    OutputShape = x.shape.ToArray(),
                    Parameters = parameters.Sum(p => p.numel()),
                    IsTrainable = parameters.Length > 0 && parameters.All(p => p.requires_grad),
                });
            }
        }
        finally
        {
            model.train(wasTraining); // re-applies the BatchNorm policy
        }

        return new ModelSummary
        {
            Backbone = model.Backbone.Name,
            BackboneDisplayName = model.Backbone.DisplayName,
            Weights = string.IsNullOrEmpty(model.Spec.WeightsDescription) ? null : model.Spec.WeightsDescription,
            TruncatedAfter = model.Spec.TruncateAfter,
            InputSize = model.InputSize,
            ClassCount = model.ClassCount,
            Device = model.Device.ToString(),
            Blocks = blocks,
            HeadLayers = head,
        };
    }

    /// <summary>The summary as a table: one row per base block and per head layer, then the totals.</summary>
    public override string ToString()
    {
        var rows = new List<string[]> { new[] { "Layer", "Output shape", "Param #", "Trains", "BatchNorm" } };
        foreach (var b in Blocks)
        {
            rows.Add(new[] { b.Name, FormatShape(b.OutputShape), FormatCount(b.Parameters), b.IsTrainable ? "yes" : "frozen", FormatBatchNorm(b.BatchNorm, b.BatchNormLayers) });
        }

        foreach (var l in HeadLayers)
        {
            rows.Add(new[] { $"head.{l.Name} {l.Layer}", FormatShape(l.OutputShape), FormatCount(l.Parameters), l.Parameters == 0 ? "-" : l.IsTrainable ? "yes" : "frozen", "" });
        }

        int[] widths = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
        int total = widths.Sum() + 2 * (widths.Length - 1);
        var sb = new StringBuilder();
        string truncated = TruncatedAfter is null ? "" : $", truncated after {TruncatedAfter}";
        string weights = Weights is null ? "" : $", weights: {Weights}";
        sb.Append(CultureInfo.InvariantCulture, $"TransferModel: {BackboneDisplayName} ({Backbone}{truncated}{weights}), input 3x{InputSize}x{InputSize}, {ClassCount} classes, on {Device}").AppendLine();
        sb.Append('=', total).AppendLine();
        for (int r = 0; r < rows.Count; r++)
        {
            string line = string.Join("  ", rows[r].Select((cell, c) => c == 2 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c])));
            sb.Append(line.TrimEnd()).AppendLine();
            if (r == 0 || r == Blocks.Count)
            {
                sb.Append(r == 0 ? '=' : '-', total).AppendLine();
            }
        }

        sb.Append('=', total).AppendLine();
        sb.Append(CultureInfo.InvariantCulture, $"Total params: {FormatCount(TotalParameters)} (base {FormatCount(BaseParameters)}, head {FormatCount(HeadParameters)})").AppendLine();
        sb.Append(CultureInfo.InvariantCulture, $"Trainable params: {FormatCount(TrainableParameters)}").AppendLine();
        sb.Append(CultureInfo.InvariantCulture, $"Frozen params: {FormatCount(FrozenParameters)}");
        return sb.ToString();
    }

    /// <summary>Formats a shape as Keras does, with the batch dimension as "N": <c>(N, 512, 7, 7)</c>.</summary>
    internal static string FormatShape(IReadOnlyList<long> shape) =>
        "(" + string.Join(", ", shape.Select((d, i) => i == 0 ? "N" : d.ToString(CultureInfo.InvariantCulture))) + ")";

    /// <summary>Formats a count with thousands separators, culture-independent.</summary>
    internal static string FormatCount(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Formats a BatchNorm mode with its layer count.</summary>
    internal static string FormatBatchNorm(BatchNormMode mode, int layers) => mode switch
    {
        BatchNormMode.None => "-",
        BatchNormMode.Inference => $"{layers} inference",
        _ => $"{layers} training",
    };

    private static string Describe(nn.Module module) => module switch
    {
        Linear linear => string.Create(CultureInfo.InvariantCulture, $"Linear({linear.in_features} -> {linear.out_features})"),
        BatchNorm1d bn => string.Create(CultureInfo.InvariantCulture, $"BatchNorm1d({bn.num_features})"),
        Dropout dropout => string.Create(CultureInfo.InvariantCulture, $"Dropout({dropout.p:G3})"),
        _ => module.GetType().Name,
    };
}
