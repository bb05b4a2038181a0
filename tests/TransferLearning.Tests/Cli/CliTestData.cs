using SkiaSharp;

namespace TransferLearning.Tests.Cli;

/// <summary>Generated labelled image folders for the CLI tests: red discs, green squares, blue triangles on noise.</summary>
internal static class CliTestData
{
    public static readonly string[] Classes = ["discs", "squares", "triangles"];

    public static void WriteFolder(string root, int perClass, int size, int seed)
    {
        var random = new Random(seed);
        for (var c = 0; c < Classes.Length; c++)
        {
            var folder = Path.Combine(root, Classes[c]);
            Directory.CreateDirectory(folder);
            for (var i = 0; i < perClass; i++)
            {
                WriteImage(Path.Combine(folder, $"{Classes[c]}_{i:D2}.png"), c, size, random);
            }
        }
    }

    public static void WriteImage(string path, int shape, int size, Random random)
    {
        using var bitmap = new SKBitmap(size, size, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor((byte)random.Next(200, 256), (byte)random.Next(200, 256), (byte)random.Next(200, 256)));
            using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
            float r = size * (0.2f + (0.15f * (float)random.NextDouble()));
            float cx = size / 2f + ((float)random.NextDouble() - 0.5f) * size * 0.3f;
            float cy = size / 2f + ((float)random.NextDouble() - 0.5f) * size * 0.3f;
            switch (shape)
            {
                case 0:
                    paint.Color = new SKColor(220, (byte)random.Next(0, 60), (byte)random.Next(0, 60));
                    canvas.DrawCircle(cx, cy, r, paint);
                    break;
                case 1:
                    paint.Color = new SKColor((byte)random.Next(0, 60), 200, (byte)random.Next(0, 60));
                    canvas.DrawRect(cx - r, cy - r, 2 * r, 2 * r, paint);
                    break;
                default:
                    paint.Color = new SKColor((byte)random.Next(0, 60), (byte)random.Next(0, 60), 220);
                    using (var triangle = new SKPath())
                    {
                        triangle.MoveTo(cx, cy - r);
                        triangle.LineTo(cx + r, cy + r);
                        triangle.LineTo(cx - r, cy + r);
                        triangle.Close();
                        canvas.DrawPath(triangle, paint);
                    }

                    break;
            }
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }
}
