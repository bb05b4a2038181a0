using System.Globalization;
using System.Text;

namespace TransferLearning.Data;

/// <summary>The files a <see cref="DataLoader"/> skipped, each listed once with its reason. Thread-safe.</summary>
public sealed class BadFileReport
{
    private readonly object gate = new();
    private readonly List<BadFileEntry> entries = new();
    private readonly Dictionary<int, BadFileEntry> seen = new();

    /// <summary>Number of distinct files skipped.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return entries.Count;
            }
        }
    }

    /// <summary>A snapshot of the skipped files, in the order they were found.</summary>
    public IReadOnlyList<BadFileEntry> Entries
    {
        get
        {
            lock (gate)
            {
                return entries.ToArray();
            }
        }
    }

    /// <summary>Number of skipped files per reason (reasons without files are left out).</summary>
    public IReadOnlyDictionary<BadFileReason, int> CountsByReason
    {
        get
        {
            lock (gate)
            {
                return entries.GroupBy(e => e.Reason).ToDictionary(g => g.Key, g => g.Count());
            }
        }
    }

    /// <summary>The entry of the sample at <paramref name="sampleIndex"/>, or <see langword="null"/> when it was not skipped.</summary>
    /// <param name="sampleIndex">Index of the sample in the loader's dataset.</param>
    public BadFileEntry? Find(int sampleIndex)
    {
        lock (gate)
        {
            return seen.TryGetValue(sampleIndex, out var entry) ? entry : null;
        }
    }

    /// <summary>A readable summary: counts per reason, then one line per file.</summary>
    public override string ToString()
    {
        var snapshot = Entries;
        if (snapshot.Count == 0)
        {
            return "No bad files.";
        }

        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{snapshot.Count} file(s) skipped: ")
          .AppendJoin(", ", snapshot.GroupBy(e => e.Reason).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()} {g.Key}")))
          .AppendLine();
        foreach (var e in snapshot)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  [{e.Reason}] {e.Message}").AppendLine();
        }

        return sb.ToString().TrimEnd();
    }

    /// <summary>Records a file; returns <see langword="false"/> when it was already listed.</summary>
    internal bool Add(BadFileEntry entry)
    {
        lock (gate)
        {
            if (!seen.TryAdd(entry.SampleIndex, entry))
            {
                return false;
            }

            entries.Add(entry);
            return true;
        }
    }
}
