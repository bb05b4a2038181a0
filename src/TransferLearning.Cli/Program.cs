using System.Runtime.InteropServices;
using TransferLearning.Cli;

using var cancellation = new CancellationTokenSource();
var terminated = false;
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C: stop within one batch and exit cleanly; a second one kills the process.
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        cancellation.Cancel();
    }
};

// SIGTERM (kill, systemd, docker stop) is handled like Ctrl+C: the running command stops within one batch, temporary
// files are removed and nothing half-written is left; a second SIGTERM ends the process at once.
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    if (!cancellation.IsCancellationRequested)
    {
        context.Cancel = true;
        terminated = true;
        cancellation.Cancel();
    }
});

var code = TlApp.Run(args, CliEnvironment.FromProcess(), cancellation.Token);
return terminated && code == TlApp.ExitCancelled ? TlApp.ExitTerminated : code;
