namespace TransferLearning.Tests.Training;

/// <summary>
/// Tests that compare seeded runs: TorchSharp's generator is process-wide, so they must not run in parallel with any
/// other test that draws random numbers (dropout, randn).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchRandomCollection
{
    public const string Name = "Torch global random generator";
}
