namespace TransferLearning.Tests.Browser;

/// <summary>A fact that needs Debian's Chromium; skipped, with the reason, when <c>/usr/bin/chromium</c> is absent.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Creates the attribute.</summary>
    public ChromiumFactAttribute()
    {
        if (ChromiumBrowser.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
