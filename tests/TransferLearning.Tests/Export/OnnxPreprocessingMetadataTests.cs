using Onnx;
using TransferLearning.Data;
using TransferLearning.Export;
using TransferLearning.Tests.Persistence;

namespace TransferLearning.Tests.Export;

public sealed class OnnxPreprocessingMetadataTests
{
    [Fact]
    public void Export_MetadataHoldsTheWholePreprocessing()
    {
        using var model = TestModels.TinyResNet();

        var proto = ModelProto.Parser.ParseFrom(OnnxExporter.ExportToBytes(model));
        var metadata = proto.MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

        Assert.Equal("32", metadata["preprocessing.input_size"]);
        Assert.Equal("37", metadata["preprocessing.resize_size"]);
        Assert.Equal("shorter_side_then_center_crop", metadata["preprocessing.resize_mode"]);
        Assert.Equal("center 32x32", metadata["preprocessing.crop"]);
        Assert.StartsWith("bilinear", metadata["preprocessing.interpolation"], StringComparison.Ordinal);
        Assert.Equal("RGB", metadata["preprocessing.channel_order"]);
        Assert.Equal("[0.485, 0.456, 0.406]", metadata["preprocessing.mean"]);
        Assert.Equal("[0.229, 0.224, 0.225]", metadata["preprocessing.std"]);
        Assert.Equal((1f / 255f).ToString("R", System.Globalization.CultureInfo.InvariantCulture), metadata["preprocessing.scale"]);
        Assert.Contains("(pixel[c] * scale - mean[c]) / std[c]", metadata["preprocessing.formula"], StringComparison.Ordinal);
        Assert.Contains("EXIF", metadata["preprocessing.decode"], StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_Stretch_SaysNoCropAndBgr()
    {
        var metadata = OnnxPreprocessingMetadata.Describe(ImagePreprocessing.CntkResNet.WithInputSize(64)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

        Assert.Equal("stretch", metadata["preprocessing.resize_mode"]);
        Assert.Equal("none", metadata["preprocessing.crop"]);
        Assert.Equal("64", metadata["preprocessing.resize_size"]);
        Assert.Equal("BGR", metadata["preprocessing.channel_order"]);
        Assert.Equal("[103.06, 115.9, 123.15]", metadata["preprocessing.mean"]);
    }
}
