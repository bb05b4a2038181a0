using System.Globalization;
using System.Text;
using System.Text.Json;
using TransferLearning.Cleaning;
using TransferLearning.Cli.Report;

namespace TransferLearning.Cli.Cleaning;

/// <summary>Writes what <c>tl clean</c> found: <c>clean.html</c> (with thumbnails), <c>label-issues.csv</c>, <c>duplicates.csv</c> and <c>clean.json</c>.</summary>
internal static class CleanOutput
{
    /// <summary>Most label issues and duplicate pairs shown with thumbnails on the page (the CSV and JSON files list them all).</summary>
    public const int PageRows = 200;

    /// <summary>Quotes a CSV field when needed (RFC 4180).</summary>
    public static string Csv(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    /// <summary>The JSON-ready summary of a result.</summary>
    public static object ToJson(CleaningResult result, IReadOnlyList<KeyValuePair<string, string>> settings, IReadOnlyDictionary<string, string> files, IReadOnlyList<ReviewMove>? moves) => new
    {
        Command = "clean",
        Settings = settings.ToDictionary(kv => kv.Key, kv => kv.Value),
        result.ClassNames,
        Images = result.Samples.Count,
        ValidationImages = result.IsValidation.Count(v => v),
        result.OutOfFoldAccuracy,
        Thresholds = result.ClassNames.Select((c, i) => new { Class = c, Threshold = result.Thresholds[i] }).ToArray(),
        LabelIssues = result.LabelIssues.Select((l, rank) => new
        {
            Rank = rank + 1,
            l.Path,
            Given = result.ClassNames[l.GivenLabel],
            Suggested = result.ClassNames[l.SuggestedLabel],
            l.SelfConfidence,
            l.SuggestedProbability,
            Set = result.IsValidation[l.Index] ? "validation" : "train",
        }).ToArray(),
        Duplicates = result.Duplicates.Select(d => new
        {
            d.PathA,
            d.PathB,
            d.Similarity,
            d.IsExact,
            d.IsLeak,
            d.SameLabel,
            LabelA = result.ClassNames[result.Samples[d.IndexA].Label],
            LabelB = result.ClassNames[result.Samples[d.IndexB].Label],
        }).ToArray(),
        Leaks = result.Duplicates.Count(d => d.IsLeak),
        Skipped = result.Skipped.Select(e => new { e.Path, Reason = e.Reason.ToString(), e.Message }).ToArray(),
        Files = files,
        Moves = moves,
    };

    /// <summary>Writes the four files into <paramref name="folder"/> and returns their paths by kind.</summary>
    public static IReadOnlyDictionary<string, string> Write(string folder, CleaningResult result, IReadOnlyList<KeyValuePair<string, string>> settings, IReadOnlyList<KeyValuePair<string, double>> timings)
    {
        Directory.CreateDirectory(folder);
        var files = new Dictionary<string, string>
        {
            ["html"] = Path.Combine(folder, "clean.html"),
            ["labelIssues"] = Path.Combine(folder, "label-issues.csv"),
            ["duplicates"] = Path.Combine(folder, "duplicates.csv"),
            ["json"] = Path.Combine(folder, "clean.json"),
        };

        var issues = new StringBuilder("rank,path,set,given,suggested,self_confidence,suggested_probability\n");
        int rank = 0;
        foreach (var l in result.LabelIssues)
        {
            issues.Append(++rank).Append(',').Append(Csv(l.Path)).Append(',').Append(result.IsValidation[l.Index] ? "validation" : "train").Append(',')
                .Append(Csv(result.ClassNames[l.GivenLabel])).Append(',').Append(Csv(result.ClassNames[l.SuggestedLabel])).Append(',')
                .Append(l.SelfConfidence.ToString("F4", CultureInfo.InvariantCulture)).Append(',')
                .Append(l.SuggestedProbability.ToString("F4", CultureInfo.InvariantCulture)).Append('\n');
        }

        Html.WriteAtomically(files["labelIssues"], issues.ToString());

        var duplicates = new StringBuilder("path_a,path_b,similarity,exact,leak,same_label,label_a,label_b\n");
        foreach (var d in result.Duplicates)
        {
            duplicates.Append(Csv(d.PathA)).Append(',').Append(Csv(d.PathB)).Append(',').Append(d.Similarity.ToString("F4", CultureInfo.InvariantCulture)).Append(',')
                .Append(d.IsExact ? "true" : "false").Append(',').Append(d.IsLeak ? "true" : "false").Append(',').Append(d.SameLabel ? "true" : "false").Append(',')
                .Append(Csv(result.ClassNames[result.Samples[d.IndexA].Label])).Append(',').Append(Csv(result.ClassNames[result.Samples[d.IndexB].Label])).Append('\n');
        }

        Html.WriteAtomically(files["duplicates"], duplicates.ToString());
        Html.WriteAtomically(files["html"], Page(result, settings, timings));
        Html.WriteAtomically(files["json"], JsonSerializer.Serialize(ToJson(result, settings, files, null), typeof(object), Output.Json.Options));
        return files;
    }

    private static string Page(CleaningResult result, IReadOnlyList<KeyValuePair<string, string>> settings, IReadOnlyList<KeyValuePair<string, double>> timings)
    {
        var html = Html.Begin("Data cleaning report", $"{result.Samples.Count} images, {result.ClassNames.Count} classes; generated {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC by tl clean.");
        html.Append("<nav><a href=\"#summary\">Summary</a><a href=\"#label-issues\">Label issues</a><a href=\"#duplicates\">Duplicates and leaks</a><a href=\"#skipped\">Skipped</a></nav>\n");
        html.Append("<section id=\"summary\"><h2>Summary</h2>\n");
        int leaks = result.Duplicates.Count(d => d.IsLeak);
        Html.KeyValues(html,
        [
            new("images analysed", (result.Samples.Count - result.Skipped.Count).ToString(CultureInfo.InvariantCulture)),
            new("of which validation", result.IsValidation.Count(v => v).ToString(CultureInfo.InvariantCulture)),
            new("out-of-fold accuracy of the linear heads", Html.P(result.OutOfFoldAccuracy)),
            new("likely label errors", result.LabelIssues.Count.ToString(CultureInfo.InvariantCulture)),
            new("near-duplicate pairs", result.Duplicates.Count.ToString(CultureInfo.InvariantCulture)),
            new("train/validation leaks", leaks.ToString(CultureInfo.InvariantCulture)),
            new("skipped (unreadable)", result.Skipped.Count.ToString(CultureInfo.InvariantCulture)),
        ]);
        html.Append("<h3>Settings</h3>\n");
        Html.KeyValues(html, settings);
        html.Append("<h3>Timings</h3>\n");
        Html.KeyValues(html, timings.Select(t => new KeyValuePair<string, string>(t.Key, Html.N(t.Value, "F1") + " s")));
        html.Append("<h3>Per-class thresholds</h3>\n<p class=\"muted\">Mean out-of-fold probability of each class over the images labelled with it (confident learning).</p>\n");
        Html.KeyValues(html, result.ClassNames.Select((c, i) => new KeyValuePair<string, string>(c, Html.N(result.Thresholds[i]))));
        html.Append("</section>\n");

        html.Append("<section id=\"label-issues\"><h2>Likely label errors</h2>\n<p class=\"muted\">Images whose given label has a low out-of-fold probability while another class is predicted above its threshold; most suspicious first.</p>\n");
        if (result.LabelIssues.Count == 0)
        {
            html.Append("<p>None found.</p>\n");
        }
        else
        {
            html.Append("<div class=\"grid\">\n");
            int rank = 0;
            foreach (var l in result.LabelIssues.Take(PageRows))
            {
                html.Append("<div class=\"card\">");
                Html.Image(html, Thumbnails.DataUri(l.Path), Path.GetFileName(l.Path));
                html.Append("<div>#").Append(++rank).Append(" given <b>").Append(Html.E(result.ClassNames[l.GivenLabel])).Append("</b> (")
                    .Append(Html.N(l.SelfConfidence, "F2")).Append(")</div><div>looks like <b class=\"bad\">").Append(Html.E(result.ClassNames[l.SuggestedLabel]))
                    .Append("</b> (").Append(Html.N(l.SuggestedProbability, "F2")).Append(")</div><div class=\"muted\" title=\"").Append(Html.E(l.Path)).Append("\">")
                    .Append(Html.E(Path.GetFileName(l.Path))).Append(result.IsValidation[l.Index] ? " (validation)" : "").Append("</div></div>\n");
            }

            html.Append("</div>\n");
        }

        html.Append("</section>\n<section id=\"duplicates\"><h2>Near-duplicates and leaks</h2>\n<p class=\"muted\">Pairs of images whose features have a cosine similarity at or above the threshold; pairs split across training and validation (leaks) first.</p>\n");
        if (result.Duplicates.Count == 0)
        {
            html.Append("<p>None found.</p>\n");
        }
        else
        {
            html.Append("<table><tr><th>Similarity</th><th class=\"l\">Kind</th><th class=\"l\">Image A</th><th class=\"l\">Image B</th></tr>\n");
            foreach (var d in result.Duplicates.Take(PageRows))
            {
                var kind = (d.IsLeak ? "LEAK (train / validation), " : "") + (d.IsExact ? "identical files" : "near-duplicate") + (d.SameLabel ? "" : ", different labels");
                html.Append("<tr><td>").Append(Html.N(d.Similarity, "F4")).Append("</td><td class=\"l").Append(d.IsLeak ? " bad" : "").Append("\">").Append(Html.E(kind)).Append("</td>");
                foreach (var (path, index) in new[] { (d.PathA, d.IndexA), (d.PathB, d.IndexB) })
                {
                    html.Append("<td class=\"l\"><div class=\"card\">");
                    Html.Image(html, Thumbnails.DataUri(path), Path.GetFileName(path));
                    html.Append("<div>").Append(Html.E(result.ClassNames[result.Samples[index].Label])).Append(result.IsValidation[index] ? " (validation)" : " (train)")
                        .Append("</div><div class=\"muted\" title=\"").Append(Html.E(path)).Append("\">").Append(Html.E(Path.GetFileName(path))).Append("</div></div></td>");
                }

                html.Append("</tr>\n");
            }

            html.Append("</table>\n");
        }

        html.Append("</section>\n<section id=\"skipped\"><h2>Skipped images</h2>\n");
        if (result.Skipped.Count == 0)
        {
            html.Append("<p>None: every image could be read.</p>\n");
        }
        else
        {
            html.Append("<table><tr><th class=\"l\">File</th><th class=\"l\">Reason</th><th class=\"l\">Message</th></tr>\n");
            foreach (var s in result.Skipped)
            {
                html.Append("<tr><td class=\"l\">").Append(Html.E(s.Path)).Append("</td><td class=\"l\">").Append(Html.E(s.Reason.ToString()))
                    .Append("</td><td class=\"l\">").Append(Html.E(s.Message)).Append("</td></tr>\n");
            }

            html.Append("</table>\n");
        }

        html.Append("</section>\n");
        return Html.End(html);
    }
}
