using System.Globalization;
using TransferLearning.Data;

namespace TransferLearning.Export;

/// <summary>
/// The whole preprocessing of a model as ONNX metadata properties (<c>metadata_props</c>), so that a user of the exported
/// file can turn an image into the input tensor without reading this library's code: decoding, resize rule and sizes,
/// crop, interpolation, channel order, scale, mean and std, and the formula that combines them.
/// </summary>
public static class OnnxPreprocessingMetadata
{
    /// <summary>The metadata keys and values for a preprocessing, in a stable order (keys start with <c>preprocessing.</c>).</summary>
    /// <param name="preprocessing">The model's preprocessing.</param>
    public static IReadOnlyList<KeyValuePair<string, string>> Describe(ImagePreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        var p = preprocessing;
        string size = Number(p.InputSize);
        string order = p.ChannelOrder == ChannelOrder.Bgr ? "BGR" : "RGB";
        var entries = new List<KeyValuePair<string, string>>
        {
            new("preprocessing.mode", p.Mode),
            new("preprocessing.decode", $"8-bit RGB; EXIF orientation applied; transparent pixels composited on white; large images may be decoded reduced, never below {Number(p.ResizeMode == ResizeMode.Stretch ? p.InputSize : p.ResizeSize)} pixels on the shorter side"),
            new("preprocessing.resize_mode", p.ResizeMode == ResizeMode.Stretch ? "stretch" : "shorter_side_then_center_crop"),
            new("preprocessing.resize", p.ResizeMode == ResizeMode.Stretch
                ? $"resize the whole image to {size}x{size} (aspect ratio not kept, no crop)"
                : $"resize so that the shorter side is {Number(p.ResizeSize)}, then take the centred {size}x{size} crop (crop side = shorter side x {size}/{Number(p.ResizeSize)} of the original)"),
            new("preprocessing.resize_size", Number(p.ResizeMode == ResizeMode.Stretch ? p.InputSize : p.ResizeSize)),
            new("preprocessing.crop", p.ResizeMode == ResizeMode.Stretch ? "none" : $"center {size}x{size}"),
            new("preprocessing.input_size", size),
            new("preprocessing.interpolation", "bilinear (with linear mipmaps when shrinking more than 2x), SkiaSharp"),
            new("preprocessing.channel_order", order),
            new("preprocessing.scale", Number(p.Scale)),
            new("preprocessing.mean", "[" + string.Join(", ", p.Mean.Select(Number)) + "]"),
            new("preprocessing.std", "[" + string.Join(", ", p.Std.Select(Number)) + "]"),
            new("preprocessing.formula", $"input[n, c, y, x] = (pixel[c] * scale - mean[c]) / std[c], pixel in 0..255, c in {order} order"),
            new("preprocessing.layout", $"float32 NCHW [batch, 3, {size}, {size}]"),
        };
        return entries;
    }

    /// <summary>The preprocessing in one line, for people (the same facts as <see cref="Describe"/>).</summary>
    /// <param name="preprocessing">The model's preprocessing.</param>
    public static string OneLine(ImagePreprocessing preprocessing)
    {
        var d = Describe(preprocessing).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return $"{d["preprocessing.resize"]}; {d["preprocessing.interpolation"]}; {d["preprocessing.channel_order"]}; " +
               $"(pixel * {d["preprocessing.scale"]} - {d["preprocessing.mean"]}) / {d["preprocessing.std"]}";
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
