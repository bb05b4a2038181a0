using TransferLearning.Training;

namespace TransferLearning.Tests.Training;

public class PlanTests
{
    [Fact]
    public void Default_IsFeatureExtractionThenFineTuningTopTwoAt1e5()
    {
        var plan = TrainingPlan.Default();
        plan.Validate();
        Assert.Equal(2, plan.Phases.Count);
        Assert.Equal(BlockSelection.Frozen, plan.Phases[0].Blocks);
        Assert.Equal(1e-3, plan.Phases[0].LearningRate.High);
        Assert.Equal(BlockSelection.Top(2), plan.Phases[1].Blocks);
        Assert.Equal(1e-5, plan.Phases[1].LearningRate.High);
        Assert.Equal(OptimizerKind.Adam, plan.Phases[1].Optimizer);
        Assert.Equal(20, plan.TotalEpochs);
    }

    [Fact]
    public void FineTune_IsFastAiRecipe()
    {
        var plan = TrainingPlan.FineTune(4);
        Assert.Equal(new[] { 1, 4 }, plan.Phases.Select(p => p.Epochs));
        Assert.Equal(0.99, plan.Phases[0].Schedule.PctStart);
        var rates = plan.Phases[1].LearningRate;
        Assert.Equal(1e-3, rates.High, 12);
        Assert.Equal(1e-5, rates.Low!.Value, 12);
        Assert.Equal(5, plan.Phases[1].Schedule.DivFactor);
        Assert.Equal(BlockSelectionKind.All, plan.Phases[1].Blocks.Kind);
    }

    [Fact]
    public void Validate_BadValues_Throw()
    {
        Assert.Throws<ArgumentException>(() => new TrainingPlan { Phases = Array.Empty<TrainingPhase>() }.Validate());
        Assert.Throws<ArgumentException>(() => new TrainingPlan { Phases = new[] { new TrainingPhase(), new TrainingPhase() } }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingPhase { Epochs = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingPhase { WeightDecay = -1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingPhase { Momentum = 1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingPhase { UnfreezeOneMoreBlockEvery = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.OneCycle(pctStart: 1).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRates.Slice(1e-2, 1e-3));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRates.Constant(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainerOptions { GradientClipNorm = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new LossOptions { LabelSmoothing = 1 }.Validate());
    }

    [Theory]
    [InlineData(1, new[] { 1e-3 })]
    [InlineData(3, new[] { 1e-5, 1e-4, 1e-3 })]
    public void Slice_ForGroups_IsGeometric(int groups, double[] expected)
    {
        var rates = LearningRates.Slice(1e-5, 1e-3).ForGroups(groups);
        Assert.Equal(expected.Length, rates.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], rates[i], 15);
        }
    }

    [Fact]
    public void Schedules_Multipliers_FollowTheirShapes()
    {
        var one = LearningRateSchedule.OneCycle(pctStart: 0.25, divFactor: 25, finalDivFactor: 1e4);
        Assert.Equal(1 / 25.0, one.Multiplier(0, 101, 0), 12);
        Assert.Equal(1.0, one.Multiplier(25, 101, 0), 12);
        Assert.Equal(1 / 25.0 / 1e4, one.Multiplier(100, 101, 0), 12);
        var cos = LearningRateSchedule.Cosine(0.1);
        Assert.Equal(1.0, cos.Multiplier(0, 11, 0), 12);
        Assert.Equal(0.55, cos.Multiplier(5, 11, 0), 12);
        Assert.Equal(0.1, cos.Multiplier(10, 11, 0), 12);
        var step = LearningRateSchedule.Step(2, 0.5);
        Assert.Equal(new[] { 1, 1, 0.5, 0.5, 0.25 }, Enumerable.Range(0, 5).Select(e => step.Multiplier(0, 1, e)));
        Assert.Equal(1.0, LearningRateSchedule.Constant.Multiplier(7, 10, 3));
    }
}
