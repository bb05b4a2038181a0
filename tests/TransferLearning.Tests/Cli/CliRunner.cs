using TransferLearning.Cli;

namespace TransferLearning.Tests.Cli;

/// <summary>Runs <c>tl</c> in-process and captures its standard output and error.</summary>
internal static class CliRunner
{
    public static CliResult Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = TlApp.Run(args, new CliEnvironment(stdout, stderr));
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}

internal sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}
