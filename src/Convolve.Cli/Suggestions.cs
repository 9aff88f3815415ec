namespace Convolve.Cli;

/// <summary>"Did you mean ...?" for mistyped commands, options and values: the known names nearest by edit distance.</summary>
public static class Suggestions
{
    /// <summary>
    /// The names among <paramref name="known"/> close enough to <paramref name="typed"/> to be what
    /// was meant, nearest first: within an edit distance of 1 for short names and 2 for names of
    /// five or more letters (a swap of two neighbours counts as one edit), or those that
    /// <paramref name="typed"/> begins when it is at least three letters long. Leading dashes are
    /// ignored on both sides.
    /// </summary>
    public static IReadOnlyList<string> Nearest(string typed, IEnumerable<string> known)
    {
        string t = typed.TrimStart('-').ToLowerInvariant();
        if (t.Length == 0) return [];
        var scored = new List<(string Name, int Distance)>();
        foreach (var name in known.Distinct())
        {
            string n = name.TrimStart('-').ToLowerInvariant();
            int distance = Distance(t, n);
            int allowed = Math.Min(t.Length, n.Length) >= 5 ? 2 : 1;
            if (distance <= allowed || (t.Length >= 3 && n.StartsWith(t, StringComparison.Ordinal))) scored.Add((name, distance));
        }
        if (scored.Count == 0) return [];
        return [.. scored.OrderBy(s => s.Distance).ThenBy(s => s.Name, StringComparer.Ordinal).Select(s => s.Name)];
    }

    /// <summary>" Did you mean 'train'?" (or " Did you mean 'a' or 'b'?"), or "" when nothing is near.</summary>
    public static string DidYouMean(string typed, IEnumerable<string> known)
    {
        var near = Nearest(typed, known).Take(3).Select(n => $"'{n}'").ToList();
        return near.Count switch
        {
            0 => "",
            1 => $" Did you mean {near[0]}?",
            _ => $" Did you mean {string.Join(", ", near[..^1])} or {near[^1]}?",
        };
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost 1.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
