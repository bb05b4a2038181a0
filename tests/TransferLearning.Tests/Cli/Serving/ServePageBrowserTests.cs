using Microsoft.Playwright;
using TransferLearning.Tests.Browser;

namespace TransferLearning.Tests.Cli.Serving;

/// <summary>The <c>tl serve</c> page in Debian's Chromium: choosing or dropping an image shows the model's top class.</summary>
public sealed class ServePageBrowserTests : IClassFixture<ServeTestData>
{
    private readonly ServeTestData data;

    public ServePageBrowserTests(ServeTestData data) => this.data = data;

    [ChromiumFact]
    public async Task Page_ChosenImage_ShowsTopClassWithoutConsoleErrors()
    {
        await using var running = await PredictionServerTests.Running.StartAsync(data.Model);
        var expected = running.Predictor.Predict(data.GoodPng).ClassName;
        await using var chromium = await ChromiumBrowser.LaunchAsync();
        var page = await chromium.OpenPageAsync(running.Server.Address!.ToString());
        await page.Locator("#model").Filter(new LocatorFilterOptions { HasText = "resnet18" }).WaitForAsync();

        await page.Locator("#file").SetInputFilesAsync(data.GoodPng);
        await page.Locator("#results[data-done]").WaitForAsync();

        var first = page.Locator("#results li").First;
        Assert.Equal(expected, await first.GetAttributeAsync("data-class"));
        Assert.Equal(3, await page.Locator("#results li").CountAsync());
        Assert.True(await page.Locator("#preview").EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"));
        Assert.Empty(chromium.Errors);
    }

    [ChromiumFact]
    public async Task Page_DroppedImage_ShowsTopClass_AndBadFileShowsReason()
    {
        await using var running = await PredictionServerTests.Running.StartAsync(data.Model);
        var expected = running.Predictor.Predict(data.GoodJpeg).ClassName;
        await using var chromium = await ChromiumBrowser.LaunchAsync();
        var page = await chromium.OpenPageAsync(running.Server.Address!.ToString());

        await DropAsync(page, File.ReadAllBytes(data.GoodJpeg), "good.jpg", "image/jpeg");
        await page.Locator("#results[data-done]").WaitForAsync();
        Assert.Equal(expected, await page.Locator("#results li").First.GetAttributeAsync("data-class"));

        await DropAsync(page, File.ReadAllBytes(data.NotAnImage), "notes.png", "image/png");
        await page.Locator("#error").Filter(new LocatorFilterOptions { HasText = "not_an_image" }).WaitForAsync();
        Assert.Equal(0, await page.Locator("#results li").CountAsync());

        // The 400 answer is shown on the page; Chromium itself logs the failed fetch as a console error.
        Assert.All(chromium.Errors, e => Assert.Contains("400", e, StringComparison.Ordinal));
    }

    /// <summary>Dispatches dragenter/dragover/drop with a real <c>DataTransfer</c> holding the file, as a user's drop does.</summary>
    private static Task DropAsync(IPage page, byte[] bytes, string name, string type) =>
        page.EvaluateAsync(
            """
            ([b64, name, type]) => {
              const raw = atob(b64);
              const bytes = new Uint8Array(raw.length);
              for (let i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
              const transfer = new DataTransfer();
              transfer.items.add(new File([bytes], name, { type }));
              const zone = document.getElementById("drop");
              for (const kind of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: transfer }));
              }
            }
            """,
            new object[] { Convert.ToBase64String(bytes), name, type });
}
