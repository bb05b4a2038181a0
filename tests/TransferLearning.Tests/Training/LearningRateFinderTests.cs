using TransferLearning.Training;
using static TransferLearning.Tests.Training.TrainingTestData;

namespace TransferLearning.Tests.Training;

[Collection(TorchRandomCollection.Name)]
public class LearningRateFinderTests
{
    [Fact]
    public void Find_FrozenBase_ReturnsCurveSuggestionAndRestoresWeights()
    {
        using var model = Model();
        using var data = Source(count: 16, batchSize: 4);
        var before = State(model);
        var result = LearningRateFinder.Find(model, data, new LearningRateFinderOptions { Steps = 30, StartLearningRate = 1e-6, EndLearningRate = 1, Seed = 1 });

        Assert.InRange(result.LearningRates.Count, 3, 30);
        Assert.Equal(result.LearningRates.Count, result.Losses.Count);
        Assert.True(result.LearningRates.Zip(result.LearningRates.Skip(1)).All(p => p.Second > p.First));
        Assert.InRange(result.Suggested, 1e-6, 1);
        Assert.InRange(result.Steepest, 1e-6, 1);
        Assert.Contains(result.Valley, result.LearningRates);
        var after = State(model);
        Assert.All(before.Keys, k => Assert.True(Same(before[k], after[k]), k));
        Assert.False(model.training);
    }
}
