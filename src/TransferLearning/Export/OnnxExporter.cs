using System.Reflection;
using System.Text.Json;
using Google.Protobuf;
using Onnx;
using TransferLearning.Persistence;
using static TorchSharp.torch;

namespace TransferLearning.Export;

/// <summary>
/// Exports a <see cref="TransferModel"/> to ONNX (opset 17, IR 8) for ONNX Runtime or any other ONNX consumer.
/// The graph is written from the model's known module types, in inference semantics: BatchNorm uses the running
/// statistics, Dropout is removed. The input is float32 <c>[batch, 3, S, S]</c> with a dynamic batch dimension,
/// preprocessed as <see cref="TransferModel.Preprocessing"/> says; the output is <c>[batch, classes]</c> logits (or
/// probabilities with <see cref="OnnxExportOptions.IncludeSoftmax"/>). The model's metadata properties hold the class
/// names, backbone, output kind, the preprocessing as JSON (<c>preprocessing</c>) and spelled out key by key
/// (<c>preprocessing.*</c>, see <see cref="OnnxPreprocessingMetadata"/>): resize rule and sizes, crop, interpolation,
/// channel order, scale, mean, std and the formula.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set version of exported files.</summary>
    public const int Opset = OnnxGraphWriter.Opset;

    /// <summary>Exports to a file, atomically (temporary file in the same folder, then rename).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">Destination <c>.onnx</c> file.</param>
    /// <param name="options">Settings. Default: <c>new OnnxExportOptions()</c>.</param>
    /// <exception cref="NotSupportedException">The model contains a module type the exporter does not know; the message names it.</exception>
    public static void Export(TransferModel model, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes = ExportToBytes(model, options);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        StaleTempFiles.Remove(full);
        string temp = StaleTempFiles.NewTempPath(full);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // best effort
            }

            throw;
        }
    }

    /// <summary>Exports to a stream (left open).</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">A writable stream.</param>
    /// <param name="options">Settings.</param>
    /// <exception cref="NotSupportedException">The model contains a module type the exporter does not know.</exception>
    public static void Export(TransferModel model, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(ExportToBytes(model, options));
    }

    /// <summary>Exports to an in-memory ONNX model (serialized protobuf bytes).</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Settings.</param>
    /// <exception cref="NotSupportedException">The model contains a module type the exporter does not know.</exception>
    public static byte[] ExportToBytes(TransferModel model, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new OnnxExportOptions();
        options.Validate();
        string outputName = options.OutputName ?? (options.IncludeSoftmax ? "probabilities" : "logits");

        var writer = new OnnxGraphWriter();
        string output = writer.Emit(model, options.InputName, "");
        if (options.IncludeSoftmax)
        {
            output = writer.Node("Softmax", "softmax", new[] { output }, OnnxGraphWriter.IntAttr("axis", 1));
        }

        var graph = writer.Graph;
        graph.Node.Add(new NodeProto { OpType = "Identity", Name = "output", Input = { output }, Output = { outputName } });
        graph.Input.Add(Value(options.InputName, new TensorShapeProto.Types.Dimension { DimParam = "batch" }, Dim(3), Dim(model.InputSize), Dim(model.InputSize)));
        graph.Output.Add(Value(outputName, new TensorShapeProto.Types.Dimension { DimParam = "batch" }, Dim(model.ClassCount)));

        var proto = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "TransferLearning",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            DocString = $"{model.Backbone.DisplayName} transfer model, {model.ClassCount} classes.",
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "class_names", Value = JsonSerializer.Serialize(model.ClassNames) });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "preprocessing", Value = JsonSerializer.Serialize(model.Preprocessing, TransferModelFile.JsonOptions) });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "backbone", Value = model.Spec.Backbone });
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "output", Value = options.IncludeSoftmax ? "probabilities" : "logits" });
        foreach (var (key, value) in OnnxPreprocessingMetadata.Describe(model.Preprocessing))
        {
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return proto.ToByteArray();
    }

    private static TensorShapeProto.Types.Dimension Dim(long value) => new() { DimValue = value };

    private static ValueInfoProto Value(string name, params TensorShapeProto.Types.Dimension[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.AddRange(dims);
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
