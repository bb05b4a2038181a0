using System.Globalization;
using System.Text;

namespace TransferLearning.Cli.Report;

/// <summary>
/// Renders <c>report.html</c>: one self-contained page (inline style, inline SVG charts, thumbnails as data: URIs) with
/// the run's settings and timings, curves per phase, the confusion matrix (counts and row-normalised), per-class
/// precision/recall/F1, the most-confused pairs, the top losses and the skipped images. Modelled on fastai's
/// <c>ClassificationInterpretation</c>.
/// </summary>
internal static class HtmlReport
{
    /// <summary>Renders the page.</summary>
    public static string Render(ReportData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var m = data.Metrics;
        var html = Html.Begin(data.Title, $"{data.DataDescription}; generated {data.Generated.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC by tl.");
        html.Append("<nav><a href=\"#settings\">Settings</a><a href=\"#curves\">Curves</a><a href=\"#metrics\">Metrics</a><a href=\"#confusion\">Confusion</a>")
            .Append("<a href=\"#most-confused\">Most confused</a><a href=\"#top-losses\">Top losses</a><a href=\"#skipped\">Skipped</a></nav>\n");

        html.Append("<section id=\"settings\"><h2>Run settings</h2>\n");
        Html.KeyValues(html, data.Settings);
        html.Append("<h3>Timings</h3>\n");
        Html.KeyValues(html, data.Timings.Select(t => new KeyValuePair<string, string>(t.Key, Html.N(t.Value, "F1") + " s")));
        html.Append("</section>\n");

        html.Append("<section id=\"curves\"><h2>Training curves</h2>\n");
        if (data.History is { Count: > 0 } history)
        {
            html.Append("<div class=\"chart\">").Append(SvgCharts.Curves(history, accuracy: false)).Append("</div>\n");
            html.Append("<div class=\"chart\">").Append(SvgCharts.Curves(history, accuracy: true)).Append("</div>\n");
            html.Append("<table><tr><th class=\"l\">Phase</th><th>Epoch</th><th>Train loss</th><th>Train acc</th><th>Val loss</th><th>Val acc</th><th>LR</th><th>Seconds</th></tr>\n");
            foreach (var e in history)
            {
                html.Append("<tr><td class=\"l\">").Append(Html.E(e.Phase)).Append("</td><td>").Append(e.Epoch)
                    .Append("</td><td>").Append(Html.N(e.TrainLoss, "F4")).Append("</td><td>").Append(e.TrainAccuracy is { } ta ? Html.P(ta) : "-")
                    .Append("</td><td>").Append(e.ValidationLoss is { } vl ? Html.N(vl, "F4") : "-").Append("</td><td>").Append(e.ValidationAccuracy is { } va ? Html.P(va) : "-")
                    .Append("</td><td>").Append(Html.N(e.LearningRate, "G3")).Append("</td><td>").Append(Html.N(e.Seconds, "F1")).Append("</td></tr>\n");
            }

            html.Append("</table>\n");
        }
        else
        {
            html.Append("<p class=\"muted\">No training history: this report evaluates a saved model on a folder.</p>\n");
        }

        html.Append("</section>\n");

        html.Append("<section id=\"metrics\"><h2>Metrics</h2>\n");
        Html.KeyValues(html,
        [
            new("images", m.SampleCount.ToString(CultureInfo.InvariantCulture)),
            new("accuracy", Html.P(m.Accuracy)),
            new("balanced accuracy", Html.P(m.BalancedAccuracy)),
            new("macro F1", Html.P(m.MacroF1)),
            new($"top-{m.TopK} accuracy", Html.P(m.TopKAccuracy)),
            new("loss (cross-entropy)", Html.N(m.Loss, "F4")),
        ]);
        html.Append("<table><tr><th class=\"l\">Class</th><th>Precision</th><th>Recall</th><th>F1</th><th>Support</th></tr>\n");
        for (int c = 0; c < m.ClassNames.Count; c++)
        {
            html.Append("<tr><td class=\"l\">").Append(Html.E(m.ClassNames[c])).Append("</td><td>").Append(Html.P(m.Precision[c]))
                .Append("</td><td>").Append(Html.P(m.Recall[c])).Append("</td><td>").Append(Html.P(m.F1[c]))
                .Append("</td><td>").Append(m.Support[c]).Append("</td></tr>\n");
        }

        html.Append("</table>\n<div class=\"chart\">").Append(SvgCharts.PerClass(m)).Append("</div>\n</section>\n");

        html.Append("<section id=\"confusion\"><h2>Confusion matrix</h2>\n<p class=\"muted\">Rows: true class; columns: predicted class.</p>\n<h3>Counts</h3>\n");
        Confusion(html, m.ClassNames, m.ConfusionMatrix, normalised: false);
        html.Append("<h3>Row-normalised (recall per true class)</h3>\n");
        Confusion(html, m.ClassNames, m.ConfusionMatrix, normalised: true);
        html.Append("</section>\n");

        var confused = ReportBuilder.MostConfused(m);
        html.Append("<section id=\"most-confused\"><h2>Most confused</h2>\n");
        if (confused.Count == 0)
        {
            html.Append("<p>No image was misclassified.</p>\n");
        }
        else
        {
            html.Append("<table><tr><th class=\"l\">True class</th><th class=\"l\">Predicted as</th><th>Images</th></tr>\n");
            foreach (var p in confused)
            {
                html.Append("<tr><td class=\"l\">").Append(Html.E(p.Actual)).Append("</td><td class=\"l\">").Append(Html.E(p.Predicted))
                    .Append("</td><td>").Append(p.Count).Append("</td></tr>\n");
            }

            html.Append("</table>\n");
        }

        html.Append("</section>\n");

        var top = ReportBuilder.TopLosses(data.Samples, data.TopLosses);
        html.Append("<section id=\"top-losses\"><h2>Top losses</h2>\n<p class=\"muted\">The ").Append(top.Count)
            .Append(" images with the largest loss: predicted / true class, loss, probability of the prediction and of the true class.</p>\n<div class=\"grid\">\n");
        foreach (var s in top)
        {
            int predicted = s.Predicted;
            html.Append("<div class=\"card\">");
            Html.Image(html, Thumbnails.DataUri(s.Path), Path.GetFileName(s.Path));
            html.Append("<div><b").Append(predicted == s.Label ? "" : " class=\"bad\"").Append('>').Append(Html.E(m.ClassNames[predicted])).Append("</b> / ")
                .Append(Html.E(m.ClassNames[s.Label])).Append("</div><div>loss ").Append(Html.N(s.Loss, "F2"))
                .Append(", p ").Append(Html.N(s.Probabilities[predicted], "F2")).Append(" / ").Append(Html.N(s.Probabilities[s.Label], "F2"))
                .Append("</div><div class=\"muted\" title=\"").Append(Html.E(s.Path)).Append("\">").Append(Html.E(Path.GetFileName(s.Path))).Append("</div></div>\n");
        }

        html.Append("</div>\n</section>\n");

        html.Append("<section id=\"skipped\"><h2>Skipped images</h2>\n");
        if (data.Skipped.Count == 0)
        {
            html.Append("<p>None: every image could be read.</p>\n");
        }
        else
        {
            html.Append("<p class=\"bad\">").Append(data.Skipped.Count).Append(" image(s) could not be read and were left out.</p>\n");
            html.Append("<table><tr><th class=\"l\">File</th><th class=\"l\">Reason</th><th class=\"l\">Message</th></tr>\n");
            foreach (var s in data.Skipped)
            {
                html.Append("<tr><td class=\"l\">").Append(Html.E(s.Path)).Append("</td><td class=\"l\">").Append(Html.E(s.Reason.ToString()))
                    .Append("</td><td class=\"l\">").Append(Html.E(s.Message)).Append("</td></tr>\n");
            }

            html.Append("</table>\n");
        }

        html.Append("</section>\n");
        return Html.End(html);
    }

    /// <summary>Renders and writes the page atomically.</summary>
    public static void Write(ReportData data, string path) => Html.WriteAtomically(path, Render(data));

    private static void Confusion(StringBuilder html, IReadOnlyList<string> names, IReadOnlyList<IReadOnlyList<long>> matrix, bool normalised)
    {
        html.Append("<table><tr><th class=\"l\">true \\ predicted</th>");
        foreach (var name in names)
        {
            html.Append("<th>").Append(Html.E(name)).Append("</th>");
        }

        html.Append("</tr>\n");
        for (int r = 0; r < names.Count; r++)
        {
            long total = matrix[r].Sum();
            html.Append("<tr><th class=\"l\">").Append(Html.E(names[r])).Append("</th>");
            for (int c = 0; c < names.Count; c++)
            {
                double share = total == 0 ? 0 : (double)matrix[r][c] / total;
                int alpha = (int)Math.Round(share * 100);
                string colour = r == c ? "40,120,220" : "220,60,60";
                html.Append("<td style=\"background:rgba(").Append(colour).Append(',').Append((alpha / 100.0).ToString("F2", CultureInfo.InvariantCulture)).Append(")\">")
                    .Append(normalised ? (total == 0 ? "-" : share.ToString("F2", CultureInfo.InvariantCulture)) : matrix[r][c].ToString(CultureInfo.InvariantCulture))
                    .Append("</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</table>\n");
    }
}
