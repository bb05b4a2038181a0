using Microsoft.Playwright;
using TransferLearning.Cli.Report;
using TransferLearning.Tests.Report;

namespace TransferLearning.Tests.Browser;

/// <summary>
/// Opens a generated <c>report.html</c> in Debian's Chromium (headless, driven by Playwright for .NET) from a file: URL,
/// offline: the charts and thumbnails render with non-empty sizes and the page logs no console error.
/// </summary>
public sealed class ReportBrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";

    private readonly string folder = Directory.CreateTempSubdirectory("tl-report-browser-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [ReportChromiumFact]
    public async Task ReportHtml_InChromium_ChartsAndThumbnailsRenderWithoutConsoleErrors()
    {
        var path = Path.Combine(folder, "report.html");
        HtmlReport.Write(SyntheticReport.Create(Path.Combine(folder, "data")), path);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { Offline = true });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);
        var failed = new List<string>();
        page.RequestFailed += (_, request) => failed.Add(request.Url);

        await page.GotoAsync(new Uri(path).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });

        var images = await page.EvaluateAsync<int[][]>(
            "() => Array.from(document.images).map(i => [i.complete ? 1 : 0, i.naturalWidth, i.naturalHeight])");
        Assert.Equal(6, images.Length);
        Assert.All(images, i => Assert.True(i[0] == 1 && i[1] > 0 && i[2] > 0, $"image not rendered: complete {i[0]}, {i[1]}x{i[2]}"));

        var charts = await page.EvaluateAsync<double[][]>(
            "() => Array.from(document.querySelectorAll('svg')).map(s => { const r = s.getBoundingClientRect(); return [r.width, r.height, s.querySelectorAll('path,line,polyline,rect,text').length]; })");
        Assert.Equal(3, charts.Length);
        Assert.All(charts, c => Assert.True(c[0] > 100 && c[1] > 100 && c[2] > 10, $"chart {c[0]}x{c[1]} with {c[2]} shapes"));

        var sections = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('section')).map(s => s.id)");
        Assert.Equal(["settings", "curves", "metrics", "confusion", "most-confused", "top-losses", "skipped"], sections);
        Assert.Empty(errors);
        Assert.Empty(failed);
    }

    /// <summary>A fact that is skipped, with the reason, where Debian's Chromium is not installed.</summary>
    private sealed class ReportChromiumFactAttribute : FactAttribute
    {
        public ReportChromiumFactAttribute()
        {
            if (!File.Exists(Chromium))
            {
                Skip = $"Debian's Chromium is not installed ({Chromium} is missing): run 'apt-get install -y chromium' to run the browser tests.";
            }
        }
    }
}
