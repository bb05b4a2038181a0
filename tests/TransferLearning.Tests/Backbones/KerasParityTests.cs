using System.Text.Json;
using TransferLearning.Backbones;
using TransferLearning.Tests.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Backbones;

/// <summary>
/// The library's Keras backbones against an independent Keras implementation: the same architectures written in
/// TensorFlow.js from the Keras sources (tests/keras-parity/parity.js), fed the same seeded random weights (the
/// library reads them from a Keras <c>.h5</c>, TensorFlow.js from raw float32 by layer name) and the same inputs.
/// </summary>
public sealed class KerasParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string, string, double, string, string, string> Models => new()
    {
        // backbone, TensorFlow.js model, alpha, block to truncate at, the Keras layer ending it, .h5 layout
        { "keras_mobilenet", "mobilenet", 1.0, "conv_pw_5_relu", "conv_pw_5_relu", "keras2-weights" },
        { "keras_mobilenet_v2", "mobilenet_v2", 1.0, "block_5_add", "block_5_add", "keras3" },
        { "keras_resnet50", "resnet50", 1.0, "conv3_block4_out", "conv3_block4_out", "keras2-model" },
        { "vgg16", "vgg16", 1.0, "block3", "block3_pool", "keras2-weights" },
    };

    [KerasParityTheory]
    [MemberData(nameof(Models))]
    public void Features_SameKerasWeightsAndInputs_MatchTensorFlowJs(string backbone, string tfjsModel, double alpha, string block, string kerasLayer, string layout)
    {
        var info = BackboneCatalog.Get(backbone);
        string folder = StateDictAssert.TempFolder();
        try
        {
            var layers = KerasTestFiles.RandomWeights(info, seed: 17);
            string h5 = Path.Combine(folder, "weights.h5");
            switch (layout)
            {
                case "keras3":
                    KerasTestFiles.WriteKeras3(h5, layers);
                    break;
                case "keras2-model":
                    KerasTestFiles.WriteKeras2(h5, layers, fullModel: true, new[] { KerasTestFiles.Dense("predictions", info.FeatureChannels, 5) });
                    break;
                default:
                    KerasTestFiles.WriteKeras2(h5, layers, fullModel: false);
                    break;
            }

            var rawLayers = KerasTestFiles.WriteRaw(Path.Combine(folder, "weights.bin"), layers);
            using var full = BackboneModule.Create(info);
            TransferLearning.Weights.Weights.FromFile(h5).LoadInto(full);
            full.eval();
            var truncated = BackboneModule.Create(info);
            TransferLearning.Weights.Weights.FromFile(h5).LoadInto(truncated);
            truncated = truncated.TruncateAfter(block);
            truncated.eval();

            bool heavy = tfjsModel is "resnet50" or "vgg16";
            int[] sizes = heavy ? new[] { 48, 45 } : new[] { 64, 77 };
            int batch = heavy ? 1 : 2;
            var cases = new List<(int Size, string? Truncate, Tensor Expected)>();
            foreach (int size in sizes)
            {
                cases.Add((size, null, Features(full, size, batch, cases.Count, folder)));
            }

            cases.Add((sizes[1], kerasLayer, Features(truncated, sizes[1], batch, cases.Count, folder)));
            truncated.Dispose();
            KerasTestFiles.WriteJson(Path.Combine(folder, "manifest.json"), new
            {
                model = tfjsModel,
                alpha,
                weights = "weights.bin",
                layers = rawLayers,
                cases = cases.Select((c, i) => new { size = c.Size, batch, truncate = c.Truncate, input = $"input{i}.bin", output = $"output{i}.bin" }).ToArray(),
            });

            var watch = System.Diagnostics.Stopwatch.StartNew();
            KerasParity.Run(folder, TimeSpan.FromMinutes(8));
            output.WriteLine($"{backbone}: TensorFlow.js ran in {watch.Elapsed.TotalSeconds:F1} s; {File.ReadAllText(Path.Combine(folder, "results.json")).ReplaceLineEndings(" ")}");
            using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "results.json")));
            for (int i = 0; i < cases.Count; i++)
            {
                var (size, truncate, expected) = cases[i];
                var shape = results.RootElement.GetProperty("results")[i].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                using var scope = NewDisposeScope();
                var ours = expected.permute(0, 2, 3, 1).contiguous();
                Assert.Equal(ours.shape, shape);
                var bytes = File.ReadAllBytes(Path.Combine(folder, $"output{i}.bin"));
                var theirs = tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape);
                double scale = ours.abs().max().item<float>();
                double diff = (ours - theirs).abs().max().item<float>();
                output.WriteLine($"{backbone} {size}x{size}{(truncate is null ? "" : " truncated after " + truncate)}: features [{string.Join(", ", shape)}], max |tfjs - ours| = {diff:E2}, feature scale {scale:E2}, relative {diff / scale:E2}");
                Assert.True(scale > 0, "all-zero features prove nothing");
                Assert.True(diff <= Tolerance * scale, $"{backbone} {size}px {truncate}: max abs difference {diff:E3} over feature scale {scale:E3} exceeds {Tolerance:E0}");
                expected.Dispose();
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Tensor Features(BackboneModule backbone, int size, int batch, int index, string folder)
    {
        var random = new Random(100 + index);
        var values = new float[batch * 3 * size * size];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 4) - 2);
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(values, new long[] { batch, 3, size, size });
        KerasTestFiles.WriteNhwc(Path.Combine(folder, $"input{index}.bin"), input);
        return backbone.call(input).MoveToOuterDisposeScope();
    }
}
