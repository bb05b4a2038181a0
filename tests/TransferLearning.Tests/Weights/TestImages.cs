using SkiaSharp;
using TransferLearning.Data;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Weights;

/// <summary>Loads test images with SkiaSharp and applies an <see cref="ImagePreprocessing"/> (stretch resize).</summary>
internal static class TestImages
{
    public static string TexturesRoot => Path.Combine(AppContext.BaseDirectory, "TestData", "textures");

    public static string[] Classes => new[] { "brick", "grass", "gravel" };

    public static string[] Files(string cls) =>
        Directory.GetFiles(Path.Combine(TexturesRoot, cls), "*.png").OrderBy(f => f, StringComparer.Ordinal).ToArray();

    /// <summary>Decodes a file and returns a [3,S,S] float tensor preprocessed as <paramref name="prep"/> says.</summary>
    public static Tensor Load(string path, ImagePreprocessing prep, int size)
    {
        using var decoded = SKBitmap.Decode(path) ?? throw new InvalidDataException(path);
        using var rgba = decoded.Copy(SKColorType.Rgba8888);
        using var resized = size == rgba.Width && size == rgba.Height
            ? rgba.Copy()
            : rgba.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None));
        var pixels = resized.Pixels;
        var data = new float[3 * size * size];
        int plane = size * size;
        for (int i = 0; i < plane; i++)
        {
            var p = pixels[i];
            float r = p.Red, g = p.Green, b = p.Blue;
            float c0 = prep.ChannelOrder == ChannelOrder.Rgb ? r : b;
            float c2 = prep.ChannelOrder == ChannelOrder.Rgb ? b : r;
            data[i] = (c0 * prep.Scale - prep.Mean[0]) / prep.Std[0];
            data[plane + i] = (g * prep.Scale - prep.Mean[1]) / prep.Std[1];
            data[2 * plane + i] = (c2 * prep.Scale - prep.Mean[2]) / prep.Std[2];
        }

        return tensor(data, new long[] { 3, size, size });
    }
}
