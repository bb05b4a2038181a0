using System.Globalization;
using System.Net;
using System.Text;

namespace TransferLearning.Cli.Report;

/// <summary>Small helpers to write self-contained HTML pages (no external resource: styles inline, images as data: URIs).</summary>
internal static class Html
{
    private const string Style = """
        body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:1rem 2rem;color:#222}
        h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
        table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
        th{background:#f4f4f4}td.l,th.l{text-align:left}
        .grid{display:flex;flex-wrap:wrap;gap:.75rem}.card{border:1px solid #ddd;border-radius:6px;padding:.4rem;width:150px;font-size:.8rem;overflow-wrap:anywhere}
        .card img{width:128px;height:128px;object-fit:contain;display:block;margin:0 auto;background:#fafafa}
        .bad{color:#b00020}.muted{color:#777}.chart{margin:.5rem 0}code{background:#f4f4f4;padding:0 .2rem}
        nav a{margin-right:1rem}
        """;

    /// <summary>Escapes text for HTML content and attribute values.</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>Formats a number with the invariant culture.</summary>
    public static string N(double value, string format = "F3") => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "-";

    /// <summary>Formats a fraction as a percentage.</summary>
    public static string P(double value) => double.IsFinite(value) ? value.ToString("P1", CultureInfo.InvariantCulture) : "-";

    /// <summary>Starts a page: doctype, head with the inline style sheet, and the title heading.</summary>
    public static StringBuilder Begin(string title, string subtitle)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(E(title)).Append("</title>\n<style>").Append(Style).Append("</style>\n</head>\n<body>\n")
            .Append("<h1>").Append(E(title)).Append("</h1>\n<p class=\"muted\">").Append(E(subtitle)).Append("</p>\n");
        return html;
    }

    /// <summary>Ends a page.</summary>
    public static string End(StringBuilder html)
    {
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Appends a table of key/value rows.</summary>
    public static void KeyValues(StringBuilder html, IEnumerable<KeyValuePair<string, string>> rows)
    {
        html.Append("<table>\n");
        foreach (var (key, value) in rows)
        {
            html.Append("<tr><th class=\"l\">").Append(E(key)).Append("</th><td class=\"l\">").Append(E(value)).Append("</td></tr>\n");
        }

        html.Append("</table>\n");
    }

    /// <summary>Appends an image (a data: URI) or a placeholder when the thumbnail could not be made.</summary>
    public static void Image(StringBuilder html, string? dataUri, string alt)
    {
        if (dataUri is null)
        {
            html.Append("<div class=\"bad\">(no thumbnail)</div>");
        }
        else
        {
            html.Append("<img src=\"").Append(dataUri).Append("\" alt=\"").Append(E(alt)).Append("\">");
        }
    }

    /// <summary>Writes a page via a temporary file and a rename, so a reader never sees half a file.</summary>
    public static void WriteAtomically(string path, string content)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, content, new UTF8Encoding(false));
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
