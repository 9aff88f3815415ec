using System.Globalization;

namespace Convolve;

/// <summary>Wording shared by the library's messages.</summary>
internal static class Words
{
    /// <summary>A count and a noun that agrees with it: "1 channel", "3 channels", "5,408 features".</summary>
    public static string Plural(long count, string noun) =>
        $"{count.ToString("N0", CultureInfo.InvariantCulture)} {noun}{(count == 1 ? "" : "s")}";
}
