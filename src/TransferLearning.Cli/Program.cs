using TransferLearning.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C: stop within one batch and exit cleanly; a second one kills the process.
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        cancellation.Cancel();
    }
};

return TlApp.Run(args, CliEnvironment.FromProcess(), cancellation.Token);
