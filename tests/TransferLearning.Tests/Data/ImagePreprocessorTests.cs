using SkiaSharp;
using TransferLearning.Backbones;
using TransferLearning.Data;

namespace TransferLearning.Tests.Data;

public sealed class ImagePreprocessorTests
{
    // A known pixel: R = 10, G = 128, B = 250.
    private static readonly SKColor Pixel = new(10, 128, 250);

    public static TheoryData<string, float, float, float> Presets => new()
    {
        // torch: RGB, (v/255 - mean) / std
        { "torch", (10 / 255f - 0.485f) / 0.229f, (128 / 255f - 0.456f) / 0.224f, (250 / 255f - 0.406f) / 0.225f },
        // caffe: BGR, v - mean (B, G, R)
        { "caffe", 250 - 103.939f, 128 - 116.779f, 10 - 123.68f },
        // tf: RGB, v / 127.5 - 1
        { "tf", 10 / 127.5f - 1, 128 / 127.5f - 1, 250 / 127.5f - 1 },
        // cntk: BGR, v - mean image channel averages
        { "cntk", 250 - 103.06f, 128 - 115.90f, 10 - 123.15f },
    };

    private static ImagePreprocessing Preset(string name) => name switch
    {
        "torch" => ImagePreprocessing.Torch,
        "caffe" => ImagePreprocessing.Caffe,
        "tf" => ImagePreprocessing.Tf,
        _ => ImagePreprocessing.CntkResNet,
    };

    [Theory]
    [MemberData(nameof(Presets))]
    public void ToTensor_EachPreset_KnownPixelLandsOnExpectedValue(string preset, float c0, float c1, float c2)
    {
        using var image = TestImages.Solid(300, 260, Pixel);

        using var tensor = ImagePreprocessor.ToTensor(image, Preset(preset));

        Assert.Equal(new long[] { 3, 224, 224 }, tensor.shape);
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, tensor.dtype);
        var values = tensor.data<float>().ToArray();
        const int plane = 224 * 224;
        foreach (var i in new[] { 0, 224 * 112 + 112, plane - 1 })
        {
            Assert.Equal(c0, values[i], 4);
            Assert.Equal(c1, values[plane + i], 4);
            Assert.Equal(c2, values[(2 * plane) + i], 4);
        }
    }

    [Fact]
    public void ToTensor_EveryCatalogueEntry_UsesItsPreprocessing()
    {
        using var image = TestImages.Solid(64, 48, Pixel);
        foreach (var info in BackboneCatalog.All)
        {
            var p = info.Preprocessing.WithInputSize(32);
            using var tensor = ImagePreprocessor.ToTensor(image, p);
            var values = tensor.data<float>().ToArray();
            var bgr = p.ChannelOrder == ChannelOrder.Bgr;
            var channels = bgr ? new[] { Pixel.Blue, Pixel.Green, Pixel.Red } : new[] { Pixel.Red, Pixel.Green, Pixel.Blue };
            for (var c = 0; c < 3; c++)
            {
                var expected = ((channels[c] * p.Scale) - p.Mean[c]) / p.Std[c];
                Assert.Equal(expected, values[(c * 32 * 32) + 100], 4);
            }
        }
    }

    [Fact]
    public void ToTensor_ImageAtInputSize_MapsEachPixelToItsPosition()
    {
        // Stretch at the input size: no resampling, so pixel (x, y) lands on [c, y, x] exactly.
        var p = ImagePreprocessing.Caffe.WithInputSize(8);
        using var image = TestImages.Pattern(8, 8, 4);
        image.SetPixel(5, 2, new SKColor(1, 2, 3));

        using var tensor = ImagePreprocessor.ToTensor(image, p);

        Assert.Equal(3 - 103.939f, tensor[0, 2, 5].item<float>(), 4);
        Assert.Equal(2 - 116.779f, tensor[1, 2, 5].item<float>(), 4);
        Assert.Equal(1 - 123.68f, tensor[2, 2, 5].item<float>(), 4);
    }

    [Fact]
    public void ToTensor_ShorterSideThenCenterCrop_CropsTheMiddle()
    {
        // 64 wide x 32 high: left quarter red, middle half green, right quarter blue. Resize shorter side 32 -> 36, crop 32:
        // the crop covers the middle 28.4 source columns, all green.
        using var image = new SKBitmap(new SKImageInfo(64, 32, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(image))
        using (var paint = new SKPaint())
        {
            canvas.Clear(SKColors.Lime);
            paint.Color = SKColors.Red;
            canvas.DrawRect(0, 0, 16, 32, paint);
            paint.Color = SKColors.Blue;
            canvas.DrawRect(48, 0, 16, 32, paint);
        }

        var p = ImagePreprocessing.Torch.WithInputSize(32);
        using var cropped = ImagePreprocessor.ToTensor(image, p);
        using var stretched = ImagePreprocessor.ToTensor(image, p with { ResizeMode = ResizeMode.Stretch });

        var green = (1f - 0.456f) / 0.224f;
        var zeroRed = (0f - 0.485f) / 0.229f;
        Assert.Equal(green, cropped[1, 16, 0].item<float>(), 3);
        Assert.Equal(zeroRed, cropped[0, 16, 0].item<float>(), 3);
        Assert.Equal(zeroRed, cropped[0, 16, 31].item<float>(), 3);
        Assert.Equal((1f - 0.485f) / 0.229f, stretched[0, 16, 0].item<float>(), 3);
        Assert.Equal((1f - 0.406f) / 0.225f, stretched[2, 16, 31].item<float>(), 3);
    }

    [Fact]
    public void ToTensor_List_StacksImagesInOrder()
    {
        using var red = TestImages.Solid(20, 20, SKColors.Red);
        using var blue = TestImages.Solid(30, 10, SKColors.Blue);
        var p = ImagePreprocessing.Tf.WithInputSize(16);

        using var batch = ImagePreprocessor.ToTensor(new[] { red, blue }, p);

        Assert.Equal(new long[] { 2, 3, 16, 16 }, batch.shape);
        Assert.Equal(1f, batch[0, 0, 3, 3].item<float>(), 4);
        Assert.Equal(-1f, batch[1, 0, 3, 3].item<float>(), 4);
        Assert.Equal(1f, batch[1, 2, 3, 3].item<float>(), 4);
    }

    [Fact]
    public void LoadTensor_File_DecodesAndPreprocesses()
    {
        using var images = new TestImages();
        using var image = TestImages.Solid(50, 40, Pixel);
        var path = images.Write("p.png", TestImages.Png(image));

        using var tensor = ImagePreprocessor.LoadTensor(path, ImagePreprocessing.Tf.WithInputSize(24));

        Assert.Equal(10 / 127.5f - 1, tensor[0, 5, 5].item<float>(), 4);
    }
}
