using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using TransferLearning.Cli.Output;
using TransferLearning.Export;
using TransferLearning.Persistence;

namespace TransferLearning.Cli.Commands;

/// <summary>Options of <c>tl export-onnx</c>.</summary>
public sealed class ExportOnnxSettings : JsonSettings
{
    /// <summary>Model file.</summary>
    [CommandOption("--model <MODEL>")]
    [Description("Model file (.tlm).")]
    public string? Model { get; init; }

    /// <summary>ONNX file to write.</summary>
    [CommandOption("--output <FILE>")]
    [Description("ONNX file to write (input [batch, 3, S, S] preprocessed, output [batch, classes]).")]
    public string? Output { get; init; }

    /// <summary>Append a Softmax so the output is probabilities.</summary>
    [CommandOption("--softmax")]
    [Description("Output probabilities (a final Softmax) instead of logits.")]
    public bool Softmax { get; init; }
}

/// <summary><c>tl export-onnx</c>: writes a saved model as an ONNX file with a dynamic batch dimension.</summary>
public sealed class ExportOnnxCommand : Command<ExportOnnxSettings>
{
    private readonly CliEnvironment environment;

    /// <summary>Creates the command.</summary>
    /// <param name="environment">Output.</param>
    public ExportOnnxCommand(CliEnvironment environment) => this.environment = environment;

    /// <inheritdoc />
    public override int Execute(CommandContext context, ExportOnnxSettings settings, CancellationToken cancellationToken)
    {
        var human = environment.Human(settings.Json);
        var modelPath = CliArguments.ExistingFile(settings.Model, "--model");
        var output = CliArguments.OutputFile(settings.Output, "--output");
        using var model = TransferModelFile.Load(modelPath);
        cancellationToken.ThrowIfCancellationRequested();
        OnnxExporter.Export(model, output, new OnnxExportOptions { IncludeSoftmax = settings.Softmax });
        var size = new FileInfo(output).Length;
        var p = model.Preprocessing;
        if (settings.Json)
        {
            Json.Write(environment, new
            {
                Command = "export-onnx",
                Model = modelPath,
                Output = output,
                Bytes = size,
                Opset = OnnxExporter.Opset,
                Input = new[] { -1, 3, model.InputSize, model.InputSize },
                Outputs = settings.Softmax ? "probabilities" : "logits",
                model.ClassNames,
                Preprocessing = BackbonesCommand.Describe(p),
                PreprocessingDetails = OnnxPreprocessingMetadata.Describe(p).ToDictionary(kv => kv.Key["preprocessing.".Length..], kv => kv.Value, StringComparer.Ordinal),
            });
            return TlApp.ExitOk;
        }

        human.MarkupLine($"[green]Wrote[/] {Markup.Escape(output)} ({(size / 1e6).ToString("F1", CultureInfo.InvariantCulture)} MB, opset {OnnxExporter.Opset}).");
        human.MarkupLine($"Input: float32 [[batch, 3, {model.InputSize}, {model.InputSize}]], preprocessed as {Markup.Escape(BackbonesCommand.Describe(p))}:");
        foreach (var (key, value) in OnnxPreprocessingMetadata.Describe(p))
        {
            human.MarkupLine($"  {Markup.Escape(key["preprocessing.".Length..])}: {Markup.Escape(value)}");
        }

        human.MarkupLine("[grey](the same facts are in the ONNX file's metadata_props, keys preprocessing.*)[/]");
        human.MarkupLine($"Output: [[batch, {model.ClassCount}]] {(settings.Softmax ? "probabilities" : "logits")} for {Markup.Escape(string.Join(", ", model.ClassNames))}.");
        return TlApp.ExitOk;
    }
}
