using System.Globalization;
using System.Text;

namespace TransferLearning.Cli.Cleaning;

/// <summary>One file move of <c>tl clean --move-to</c>.</summary>
/// <param name="From">Where the file was.</param>
/// <param name="To">Where it is now (or would have gone).</param>
/// <param name="Why">Why it was flagged (label issue, duplicate, leak).</param>
/// <param name="Moved">Whether it was moved; false when it was left in place (see <paramref name="Note"/>).</param>
/// <param name="Note">Why it was not moved, or empty.</param>
internal sealed record ReviewMove(string From, string To, string Why, bool Moved, string Note);

/// <summary>
/// Moves flagged files into a review folder (keeping <c>&lt;set&gt;/&lt;class&gt;/&lt;file&gt;</c>), never overwriting
/// and never deleting, and writes <c>undo.sh</c> (moves everything back) and <c>moves.csv</c>.
/// </summary>
internal static class ReviewMover
{
    /// <summary>Moves the files and writes the undo script.</summary>
    /// <param name="reviewRoot">The review folder (created when missing).</param>
    /// <param name="files">(file, folder it belongs under in the review tree, e.g. "label-issues/data", the root it is relative to, reason).</param>
    public static IReadOnlyList<ReviewMove> Move(string reviewRoot, IEnumerable<(string Path, string Group, string Root, string Why)> files)
    {
        Directory.CreateDirectory(reviewRoot);
        var moves = new List<ReviewMove>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, group, root, why) in files)
        {
            if (!seen.Add(path))
            {
                continue;
            }

            var relative = Path.GetRelativePath(root, path);
            var target = Path.Combine(reviewRoot, group, relative);
            if (!File.Exists(path))
            {
                moves.Add(new ReviewMove(path, target, why, false, "the file no longer exists"));
                continue;
            }

            if (File.Exists(target) || Directory.Exists(target))
            {
                moves.Add(new ReviewMove(path, target, why, false, "a file of that name is already in the review folder"));
                continue;
            }

            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(path, target, overwrite: false);
                moves.Add(new ReviewMove(path, target, why, true, ""));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                moves.Add(new ReviewMove(path, target, why, false, ex.Message));
            }
        }

        WriteUndo(reviewRoot, moves);
        return moves;
    }

    /// <summary>Quotes a path for a POSIX shell (single quotes; a single quote becomes <c>'\''</c>).</summary>
    public static string ShellQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void WriteUndo(string reviewRoot, IReadOnlyList<ReviewMove> moves)
    {
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var script = new StringBuilder();
        script.Append("#!/bin/sh\n# Written by tl clean --move-to: moves the reviewed files back where they were. Never overwrites (mv -n).\nset -u\n");
        foreach (var m in moves.Where(m => m.Moved))
        {
            script.Append("mkdir -p ").Append(ShellQuote(Path.GetDirectoryName(m.From)!)).Append(" && mv -n -- ")
                .Append(ShellQuote(m.To)).Append(' ').Append(ShellQuote(m.From)).Append('\n');
        }

        // A later run must not replace an earlier undo script: the earlier moves would become impossible to undo.
        var undo = Path.Combine(reviewRoot, "undo.sh");
        if (File.Exists(undo))
        {
            undo = Path.Combine(reviewRoot, $"undo-{stamp}.sh");
        }

        Report.Html.WriteAtomically(undo, script.ToString());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(undo, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var csv = new StringBuilder("from,to,reason,moved,note\n");
        foreach (var m in moves)
        {
            csv.Append(CleanOutput.Csv(m.From)).Append(',').Append(CleanOutput.Csv(m.To)).Append(',').Append(CleanOutput.Csv(m.Why)).Append(',')
                .Append(m.Moved ? "true" : "false").Append(',').Append(CleanOutput.Csv(m.Note)).Append('\n');
        }

        var csvPath = Path.Combine(reviewRoot, File.Exists(Path.Combine(reviewRoot, "moves.csv")) ? $"moves-{stamp}.csv" : "moves.csv");
        Report.Html.WriteAtomically(csvPath, csv.ToString());
    }
}
