using Microsoft.Playwright;

namespace TransferLearning.Tests.Browser;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, <c>apt-get install chromium</c>) driven headless by Playwright for .NET.
/// Playwright's own browser download is never used (it cannot reach its CDN here); the executable is given explicitly.
/// Every page opened through <see cref="OpenPageAsync"/> records console errors, uncaught page errors and failed
/// requests in <see cref="Errors"/>, so a test can assert that a page rendered cleanly.
/// </summary>
public sealed class ChromiumBrowser : IAsyncDisposable
{
    /// <summary>Where Debian installs Chromium.</summary>
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly IPlaywright playwright;
    private readonly IBrowser browser;
    private readonly List<string> errors = [];

    private ChromiumBrowser(IPlaywright playwright, IBrowser browser)
    {
        this.playwright = playwright;
        this.browser = browser;
    }

    /// <summary>Why browser tests are skipped on this machine, or <see langword="null"/> when Chromium is installed.</summary>
    public static string? SkipReason => File.Exists(ExecutablePath)
        ? null
        : $"{ExecutablePath} is absent: install Debian's Chromium (apt-get install -y chromium) to run the browser tests.";

    /// <summary>Console errors, page errors and failed requests seen so far, one line each.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (errors)
            {
                return errors.ToArray();
            }
        }
    }

    /// <summary>Starts headless Chromium.</summary>
    public static async Task<ChromiumBrowser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                // Containers (CI, root users) have no user namespace sandbox; /dev/shm is often tiny.
                Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
                Timeout = 60_000,
            });
            return new ChromiumBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Opens a new page that records its errors in <see cref="Errors"/>, and navigates to <paramref name="url"/>.</summary>
    /// <param name="url">An http(s) or file URL.</param>
    public async Task<IPage> OpenPageAsync(string url)
    {
        var page = await browser.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record($"console error: {message.Text}");
            }
        };
        page.PageError += (_, error) => Record($"page error: {error}");
        page.RequestFailed += (_, request) => Record($"request failed: {request.Url} ({request.Failure})");
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        return page;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }

    private void Record(string line)
    {
        lock (errors)
        {
            errors.Add(line);
        }
    }
}
