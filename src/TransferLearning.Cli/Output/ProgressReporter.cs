namespace TransferLearning.Cli.Output;

/// <summary>An <see cref="IProgress{T}"/> that calls its handler synchronously on the reporting thread (no synchronisation context hop).</summary>
/// <typeparam name="T">Report type.</typeparam>
internal sealed class ProgressReporter<T> : IProgress<T>
{
    private readonly Action<T> handler;

    public ProgressReporter(Action<T> handler) => this.handler = handler;

    public void Report(T value) => handler(value);
}
