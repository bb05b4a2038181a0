namespace TransferLearning.Cli;

/// <summary>
/// Turns an exception message into the one line <c>tl</c> prints: libtorch errors carry a native backtrace
/// (<c>Exception raised from ... frame #0: ...</c>) after their first sentence, which never reaches the user.
/// </summary>
internal static class NativeErrors
{
    private static readonly string[] BacktraceMarkers = ["Exception raised from ", "frame #0", "\nframe #", " frame #"];

    /// <summary>The message without a native backtrace, with line breaks folded into spaces.</summary>
    /// <param name="message">An exception message.</param>
    public static string OneLine(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return "unknown error.";
        }

        var cut = message.Length;
        foreach (var marker in BacktraceMarkers)
        {
            var at = message.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0 && at < cut)
            {
                cut = at;
            }
        }

        var text = string.Join(' ', message[..cut].Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Trim();
        return text.Length == 0 ? "a native library error without a message." : text;
    }
}
