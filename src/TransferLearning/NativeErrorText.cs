namespace TransferLearning;

/// <summary>
/// The first part of a libtorch error message: its native backtrace (<c>Exception raised from ... frame #0: ...</c>)
/// is dropped, so a message built from it stays one readable line.
/// </summary>
internal static class NativeErrorText
{
    private static readonly string[] BacktraceMarkers = ["Exception raised from ", "frame #0", "\nframe #", " frame #"];

    /// <summary>The message without a native backtrace, with line breaks folded into spaces.</summary>
    /// <param name="message">An exception message.</param>
    public static string Clean(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return "no message";
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
        return text.Length == 0 ? "native library error" : text;
    }
}
