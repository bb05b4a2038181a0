using System.Globalization;
using TorchSharp;
using TransferLearning.Weights;
using static TorchSharp.torch;

namespace TransferLearning.Benchmarks;

/// <summary>
/// Separates the library's own cost from the engine's: in one process, alternating, the base forward pass of a
/// <see cref="TransferModel"/> against TorchVision's stock model of the same architecture run by bare TorchSharp
/// (same batch, same threads, no_grad, eval). A ratio near 1 means a gap to PyTorch comes from libtorch/TorchSharp,
/// not from this library.
/// </summary>
internal sealed class EngineOverheadSuite : IBenchmarkSuite
{
    public string Name => "engine";

    public string Description => "base forward: TransferModel vs bare TorchSharp/TorchVision model, same process, alternating";

    public void Run(BenchmarkReport report, CancellationToken cancellationToken)
    {
        set_num_threads(Environment.ProcessorCount);
        report.Add("| backbone | batch | TransferModel.ExtractFeatures img/s | bare TorchSharp img/s | ratio |");
        report.Add("|---|---|---|---|---|");
        foreach (var (name, stock) in new (string, Func<nn.Module<Tensor, Tensor>>)[]
        {
            ("resnet18", () => torchvision.models.resnet18()),
            ("mobilenet_v2", () => torchvision.models.mobilenet_v2()),
        })
        {
            const int batch = 16;
            using var model = new TransferModelBuilder().WithBackbone(name).WithWeights(RandomWeights.Instance).WithClassCount(10).Build();
            using var bare = stock();
            model.eval();
            bare.eval();
            using var x = randn(batch, 3, 224, 224);
            var ours = new List<double>();
            var theirs = new List<double>();
            for (int round = 0; round < 6; round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var a = BenchmarkReport.Time(() => { using var s = NewDisposeScope(); using var g = no_grad(); model.ExtractFeatures(x); }, warmup: 1, repeats: 3);
                var b = BenchmarkReport.Time(() => { using var s = NewDisposeScope(); using var g = no_grad(); bare.call(x); }, warmup: 1, repeats: 3);
                ours.AddRange(a);
                theirs.AddRange(b);
            }

            double o = batch / BenchmarkReport.Median(ours);
            double t = batch / BenchmarkReport.Median(theirs);
            report.Add(string.Create(CultureInfo.InvariantCulture, $"| {name} | {batch} | {o:F1} | {t:F1} | {o / t:F2} |"));
        }
    }
}
