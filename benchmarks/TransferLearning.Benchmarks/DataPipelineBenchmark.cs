using System.Diagnostics;
using System.Globalization;
using SkiaSharp;
using TorchSharp;
using TransferLearning.Data;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Benchmarks;

/// <summary>
/// Data pipeline: decode + preprocess throughput at 224x224 for JPEG and PNG inputs with 1 and 2 workers, and the share
/// of a ResNet18 frozen-base training step (batch 16, random weights) spent waiting for data.
/// </summary>
internal sealed class DataPipelineBenchmark : IBenchmarkSuite
{
    private const int ImagesPerFormat = 64;
    private const int Width = 500;
    private const int Height = 375;
    private const int BatchSize = 16;

    public string Name => "data";

    public string Description => "decode+preprocess throughput (JPEG/PNG, 1-2 workers) and data-wait share of a ResNet18 step";

    public void Run(BenchmarkReport report, CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetTempPath(), "tl-bench-data-" + Guid.NewGuid().ToString("N"));
        try
        {
            var sw = Stopwatch.StartNew();
            var jpeg = Generate(Path.Combine(root, "jpeg"), SKEncodedImageFormat.Jpeg);
            var png = Generate(Path.Combine(root, "png"), SKEncodedImageFormat.Png);
            report.Add(string.Create(CultureInfo.InvariantCulture, $"Inputs: {ImagesPerFormat} generated {Width}x{Height} photos-like images per format (JPEG q90 avg {AverageKb(jpeg):F0} KB, PNG avg {AverageKb(png):F0} KB); generated in {sw.Elapsed.TotalSeconds:F1} s."));
            report.Add("Throughput: evaluation transform (torchvision: shorter side 256, centre crop 224, mean/std), batch 16, median of 5 epochs after 1 warm-up epoch.");
            report.Add(string.Empty);
            report.Result("Configuration", "images/s (median; min-max)");
            report.Result(new string('-', 48), new string('-', 40));
            foreach (var (name, dataset) in new[] { ("JPEG", jpeg), ("PNG", png) })
            {
                foreach (var workers in new[] { 1, 2 })
                {
                    Throughput(report, $"{name}, {workers} worker(s), evaluation", dataset, ImageTransform.ForEvaluation(ImagePreprocessing.Torch), workers, cancellationToken);
                }
            }

            Throughput(report, "JPEG, 2 workers, training augmentation", jpeg, ImageTransform.ForTraining(ImagePreprocessing.Torch), 2, cancellationToken);

            report.Add(string.Empty);
            report.Add("Per-stage cost on one thread (median over 3 passes after a warm-up pass), ms per image:");
            report.Add(string.Empty);
            report.Result("Input", "decode (reduced) | transform to floats");
            report.Result(new string('-', 48), new string('-', 40));
            Stages(report, "JPEG", jpeg);
            Stages(report, "PNG", png);

            report.Add(string.Empty);
            report.Add("Training step: resnet18 (random weights, frozen base, default head, 2 classes), batch 16, Adam on the head; 48 JPEG inputs with training augmentation, prefetch 2 batches; 1 warm-up epoch (3 steps), then 2 epochs (6 steps).");
            report.Add(string.Empty);
            report.Result("Configuration", "data wait share (wait / step)");
            report.Result(new string('-', 48), new string('-', 40));
            var trainingSet = jpeg.Subset(Enumerable.Range(0, 48));
            foreach (var workers in new[] { 1, 2 })
            {
                TrainingWait(report, trainingSet, workers, cancellationToken);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static double AverageKb(ImageDataset dataset) => dataset.Samples.Average(s => new FileInfo(s.Path).Length) / 1024.0;

    private static void Throughput(BenchmarkReport report, string name, ImageDataset dataset, ImageTransform transform, int workers, CancellationToken cancellationToken)
    {
        var loader = new DataLoader(dataset, transform, new DataLoaderOptions { BatchSize = BatchSize, Shuffle = false, Workers = workers, PrefetchBatches = 2 });
        var seconds = BenchmarkReport.Time(
            () =>
            {
                foreach (var batch in loader.GetBatches(0, cancellationToken))
                {
                    batch.Dispose();
                }
            },
            warmup: 1,
            repeats: 5);
        var rates = seconds.Select(s => dataset.Count / s).ToArray();
        report.Result(name, string.Create(CultureInfo.InvariantCulture, $"{BenchmarkReport.Median(rates):F0} ({rates.Min():F0}-{rates.Max():F0})"));
        if (loader.Report.Count > 0)
        {
            report.Add("  unexpected bad files: " + loader.Report);
        }
    }

    private static void Stages(BenchmarkReport report, string name, ImageDataset dataset)
    {
        var transform = ImageTransform.ForEvaluation(ImagePreprocessing.Torch);
        var values = new float[transform.ValuesPerImage];
        var decodeMs = new List<double>();
        var transformMs = new List<double>();
        for (var pass = 0; pass < 4; pass++)
        {
            double decode = 0, apply = 0;
            foreach (var sample in dataset.Samples)
            {
                var sw = Stopwatch.StartNew();
                using var bitmap = ImageDecoder.Decode(sample.Path, transform.DecodeOptions);
                decode += sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                transform.Apply(bitmap, null, values);
                apply += sw.Elapsed.TotalMilliseconds;
            }

            if (pass > 0)
            {
                decodeMs.Add(decode / dataset.Count);
                transformMs.Add(apply / dataset.Count);
            }
        }

        report.Result(name, string.Create(CultureInfo.InvariantCulture, $"{BenchmarkReport.Median(decodeMs):F2} | {BenchmarkReport.Median(transformMs):F2}"));
    }

    private static void TrainingWait(BenchmarkReport report, ImageDataset dataset, int workers, CancellationToken cancellationToken)
    {
        using var model = new TransferModelBuilder()
            .WithBackbone("resnet18")
            .WithWeights(RandomWeights.Instance)
            .WithClasses(dataset.ClassNames)
            .WithSeed(1)
            .Build(cancellationToken);
        model.FreezeBase();
        model.train();
        using var optimizer = optim.Adam(model.parameters().Where(p => p.requires_grad), lr: 1e-3);
        var loader = new DataLoader(dataset, ImageTransform.ForTraining(model.Preprocessing), new DataLoaderOptions { BatchSize = BatchSize, Seed = 1, Workers = workers, PrefetchBatches = 2 });
        double wait = 0, compute = 0;
        var steps = 0;
        for (var epoch = 0; epoch < 3; epoch++)
        {
            using var batches = loader.GetBatches(epoch, cancellationToken).GetEnumerator();
            while (true)
            {
                var sw = Stopwatch.StartNew();
                if (!batches.MoveNext())
                {
                    break;
                }

                var waited = sw.Elapsed.TotalSeconds;
                using var batch = batches.Current;
                sw.Restart();
                using (var scope = NewDisposeScope())
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(batch.Images), batch.Labels);
                    loss.backward();
                    optimizer.step();
                }

                var computed = sw.Elapsed.TotalSeconds;
                if (epoch > 0)
                {
                    wait += waited;
                    compute += computed;
                    steps++;
                }
            }
        }

        var share = wait / (wait + compute);
        report.Result(
            $"{workers} worker(s), torch threads {torch.get_num_threads()}",
            string.Create(CultureInfo.InvariantCulture, $"{share * 100:F1} % (wait {wait / steps * 1000:F0} ms, compute {compute / steps * 1000:F0} ms per step)"));
    }

    private static ImageDataset Generate(string root, SKEncodedImageFormat format)
    {
        var extension = format == SKEncodedImageFormat.Jpeg ? ".jpg" : ".png";
        for (var i = 0; i < ImagesPerFormat; i++)
        {
            var folder = Path.Combine(root, i % 2 == 0 ? "even" : "odd");
            Directory.CreateDirectory(folder);
            using var bitmap = PhotoLike(i);
            using var data = bitmap.Encode(format, 90);
            File.WriteAllBytes(Path.Combine(folder, $"img{i:D3}{extension}"), data.ToArray());
        }

        return ImageDataset.FromFolder(root);
    }

    /// <summary>A gradient with shapes and pixel noise, so the files compress like photographs rather than flat art.</summary>
    private static SKBitmap PhotoLike(int seed)
    {
        var random = new Random(seed);
        var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { IsAntialias = true })
        {
            paint.Shader = SKShader.CreateLinearGradient(
                new SKPoint(0, 0),
                new SKPoint(Width, Height),
                new[] { RandomColor(random), RandomColor(random) },
                SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, Width, Height, paint);
            paint.Shader = null;
            for (var k = 0; k < 25; k++)
            {
                paint.Color = RandomColor(random).WithAlpha((byte)random.Next(120, 255));
                canvas.DrawCircle(random.Next(Width), random.Next(Height), random.Next(10, 90), paint);
            }
        }

        var pixels = bitmap.GetPixelSpan();
        var noise = new byte[pixels.Length];
        random.NextBytes(noise);
        for (var i = 0; i < pixels.Length; i++)
        {
            if (i % 4 != 3)
            {
                pixels[i] = (byte)Math.Clamp(pixels[i] + (noise[i] & 31) - 16, 0, 255);
            }
        }

        return bitmap;
    }

    private static SKColor RandomColor(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
}
