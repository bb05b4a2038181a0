using TransferLearning.Metrics;
using TransferLearning.Tests.Training;
using TransferLearning.Training;
using static TorchSharp.torch;

namespace TransferLearning.Tests.Metrics;

public class ClassificationMetricsTests
{
    private static readonly string[] Names = { "a", "b", "c" };

    [Fact]
    public void FromConfusion_KnownMatrix_GivesHandComputedValues()
    {
        // actual a: 3 right, 1 as b; actual b: 2 right; actual c: 1 as a, 1 right, 2 as b.
        var confusion = new long[,] { { 3, 1, 0 }, { 0, 2, 0 }, { 1, 2, 1 } };
        var m = ClassificationMetrics.FromConfusion(Names, confusion, lossSum: 5.0, topK: 2, topKHits: 8);

        Assert.Equal(10, m.SampleCount);
        Assert.Equal(0.5, m.Loss, 12);
        Assert.Equal(0.6, m.Accuracy, 12);
        Assert.Equal(0.8, m.TopKAccuracy, 12);
        Assert.Equal(new[] { 0.75, 0.4, 1.0 }, m.Precision.Select(v => Math.Round(v, 12)));
        Assert.Equal(new[] { 0.75, 1.0, 0.25 }, m.Recall.Select(v => Math.Round(v, 12)));
        Assert.Equal((0.75 + 1.0 + 0.25) / 3, m.BalancedAccuracy, 12);
        Assert.Equal(2 * 0.4 / 1.4, m.F1[1], 12);
        Assert.Equal(new long[] { 4, 2, 4 }, m.Support);
        Assert.Equal(2, m.ConfusionMatrix[2][1]);
        Assert.Equal(m.Accuracy, m.Get("accuracy"));
        Assert.Null(m.Get("nope"));
    }

    [Fact]
    public void FromConfusion_AbsentClass_IsLeftOutOfBalancedAccuracy()
    {
        var confusion = new long[,] { { 2, 0, 0 }, { 1, 1, 0 }, { 0, 0, 0 } };
        var m = ClassificationMetrics.FromConfusion(Names, confusion, double.NaN, 1, 3);
        Assert.Equal(0.75, m.BalancedAccuracy, 12);
        Assert.Equal(0, m.Recall[2]);
        Assert.True(double.IsNaN(m.Loss));
    }

    [Fact]
    public void Accumulator_Batches_CountsArgmaxAndTopK()
    {
        var acc = new MetricsAccumulator(Names, topK: 2);
        using var scope = NewDisposeScope();
        acc.Add(tensor(new float[,] { { 3, 2, 1 }, { 1, 2, 3 } }), tensor(new long[] { 0, 1 }), 1.0);
        acc.Add(tensor(new float[,] { { 1, 3, 2 } }), tensor(new long[] { 0 }), 2.0);
        var m = acc.ToMetrics();

        Assert.Equal(3, m.SampleCount);
        Assert.Equal(1.0 / 3, m.Accuracy, 12);
        Assert.Equal(2.0 / 3, m.TopKAccuracy, 12); // hits: sample 1 (top1), sample 2 (label 1 in {2,1}); sample 3: label 0 not in {1,2}
        Assert.Equal(1.0, m.Loss, 12);
        Assert.Equal(1, m.ConfusionMatrix[1][2]);
    }

    [Fact]
    public void Accumulator_LabelOutOfRange_Throws()
    {
        var acc = new MetricsAccumulator(Names);
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => acc.Add(zeros(1, 3), tensor(new long[] { 3 })));
        Assert.Throws<ArgumentException>(() => acc.Add(zeros(1, 2), tensor(new long[] { 0 })));
    }

    [Fact]
    public void Evaluate_Model_MatchesManualArgmaxAndRestoresMode()
    {
        using var model = TrainingTestData.Model();
        using var data = TrainingTestData.Source(count: 10, batchSize: 4, shuffle: false);
        model.train();
        var m = Evaluator.Evaluate(model, data, new EvaluationOptions { TopK = 3 });

        Assert.True(model.training);
        Assert.Equal(10, m.SampleCount);
        Assert.Equal(1.0, m.TopKAccuracy, 12);
        model.eval();
        long correct = 0;
        using (no_grad())
        {
            foreach (var batch in data.GetBatches(0))
            {
                using (batch)
                {
                    using var scope = NewDisposeScope();
                    correct += model.call(batch.Images).argmax(1).eq(batch.Labels).sum().item<long>();
                }
            }
        }

        Assert.Equal(correct / 10.0, m.Accuracy, 12);
        Assert.True(double.IsFinite(m.Loss) && m.Loss > 0);
    }

    [Fact]
    public void Evaluate_WrongClassCount_Throws()
    {
        using var model = new TransferModelBuilder().WithBackbone("resnet18").WithClassCount(2).WithInputSize(32).WithSeed(1).Build();
        using var data = TrainingTestData.Source(count: 4);
        Assert.Throws<ArgumentException>(() => Evaluator.Evaluate(model, data));
    }
}
