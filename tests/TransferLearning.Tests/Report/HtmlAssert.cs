using System.Text.RegularExpressions;
using System.Xml.Linq;
using SkiaSharp;

namespace TransferLearning.Tests.Report;

/// <summary>Checks that a generated page stands alone: no remote resource, well-formed inline SVG, decodable data: images.</summary>
internal static partial class HtmlAssert
{
    public static void SelfContained(string html)
    {
        Assert.DoesNotMatch(RemoteResource(), html);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Parses every inline SVG element as XML and returns how many there are.</summary>
    public static int ValidSvgs(string html)
    {
        var svgs = Svg().Matches(html);
        foreach (Match svg in svgs)
        {
            var document = XDocument.Parse(svg.Value);
            Assert.Equal("svg", document.Root!.Name.LocalName);
            Assert.True(document.Descendants().Count() > 10, "an SVG chart with almost nothing drawn");
        }

        return svgs.Count;
    }

    /// <summary>Decodes every data: image URI and returns how many there are.</summary>
    public static int ValidDataImages(string html)
    {
        var images = DataImage().Matches(html);
        foreach (Match image in images)
        {
            var bytes = Convert.FromBase64String(image.Groups[2].Value);
            using var bitmap = SKBitmap.Decode(bytes);
            Assert.True(bitmap is not null, $"a data:image/{image.Groups[1].Value} URI does not decode");
            Assert.True(bitmap.Width > 0 && bitmap.Height > 0);
        }

        return images.Count;
    }

    [GeneratedRegex("(src|href|xlink:href)\\s*=\\s*[\"']?(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex RemoteResource();

    [GeneratedRegex("<svg[\\s\\S]*?</svg>")]
    private static partial Regex Svg();

    [GeneratedRegex("data:image/(png|jpeg);base64,([A-Za-z0-9+/=]+)")]
    private static partial Regex DataImage();
}
