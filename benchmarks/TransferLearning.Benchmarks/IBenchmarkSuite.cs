namespace TransferLearning.Benchmarks;

/// <summary>One benchmark suite, selected by name on the command line.</summary>
internal interface IBenchmarkSuite
{
    /// <summary>Name used on the command line (for example "data").</summary>
    string Name { get; }

    /// <summary>One-line description for the usage text.</summary>
    string Description { get; }

    /// <summary>Runs the suite and writes its results to the report.</summary>
    void Run(BenchmarkReport report, CancellationToken cancellationToken);
}
