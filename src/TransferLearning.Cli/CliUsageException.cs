namespace TransferLearning.Cli;

/// <summary>A bad command-line argument (a missing folder, an unknown backbone...): exit code 2, one line on standard error.</summary>
public sealed class CliUsageException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One-line message naming the argument and what is wrong.</param>
    public CliUsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CliUsageException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">One-line message.</param>
    /// <param name="innerException">Cause.</param>
    public CliUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
