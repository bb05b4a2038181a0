using Spectre.Console;

namespace TransferLearning.Cli;

/// <summary>
/// Where a command writes: <see cref="Human"/> for tables, progress bars and messages (standard output, or standard
/// error when <c>--json</c> keeps standard output for the JSON object), <see cref="Json"/> for the single JSON object and
/// <see cref="Error"/> for the one-line error. Tests create one over string writers and run commands in-process.
/// </summary>
public sealed class CliEnvironment
{
    private readonly bool interactive;

    /// <summary>Creates an environment over the given writers.</summary>
    /// <param name="stdout">Standard output.</param>
    /// <param name="stderr">Standard error.</param>
    /// <param name="interactive">Whether progress bars may redraw in place (a terminal).</param>
    public CliEnvironment(TextWriter stdout, TextWriter stderr, bool interactive = false)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        StdOut = stdout;
        StdErr = stderr;
        this.interactive = interactive;
        Console = CreateConsole(stdout, interactive);
        ErrorConsole = CreateConsole(stderr, interactive);
    }

    /// <summary>Standard output (the JSON object when <c>--json</c> is given).</summary>
    public TextWriter StdOut { get; }

    /// <summary>Standard error (the one-line error message; progress when <c>--json</c> is given).</summary>
    public TextWriter StdErr { get; }

    /// <summary>Console over standard output.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Console over standard error.</summary>
    public IAnsiConsole ErrorConsole { get; }

    /// <summary>Whether progress bars redraw in place.</summary>
    public bool IsInteractive => interactive;

    /// <summary>The console for human-readable output: standard error when the command prints JSON.</summary>
    /// <param name="json">Whether the command prints a JSON object on standard output.</param>
    public IAnsiConsole Human(bool json) => json ? ErrorConsole : Console;

    /// <summary>The environment of this process (the real standard output and error).</summary>
    public static CliEnvironment FromProcess()
    {
        var stdout = new StreamWriter(System.Console.OpenStandardOutput()) { AutoFlush = true };
        var stderr = new StreamWriter(System.Console.OpenStandardError()) { AutoFlush = true };
        return new CliEnvironment(stdout, stderr, interactive: !System.Console.IsOutputRedirected && !System.Console.IsErrorRedirected);
    }

    private static IAnsiConsole CreateConsole(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!interactive)
        {
            // Redirected output (a log file, a test): wide enough that tables do not wrap.
            console.Profile.Width = 120;
        }

        return console;
    }
}
