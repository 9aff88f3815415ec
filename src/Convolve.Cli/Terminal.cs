using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Convolve.Cli;

/// <summary>
/// Where commands print: a Spectre.Console console with colour and rounded tables in a terminal,
/// or plain ASCII text without escape codes when <c>plain</c> is set (output redirected, tests).
/// </summary>
public sealed class Terminal
{
    public Terminal(TextWriter writer, bool plain)
    {
        Plain = plain;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = plain ? InteractionSupport.No : InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(writer),
        });
        if (plain)
        {
            Console.Profile.Width = 120;
            Console.Profile.Capabilities.Unicode = false;
        }
    }

    /// <summary>Whether output is plain text.</summary>
    public bool Plain { get; }

    /// <summary>The underlying console.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>A section heading.</summary>
    public void Heading(string text)
    {
        Console.WriteLine();
        if (Plain)
        {
            Console.WriteLine(text);
            Console.WriteLine(new string('=', text.Length));
        }
        else Console.Write(new Rule($"[bold yellow]{Spectre.Console.Markup.Escape(text)}[/]").LeftJustified());
    }

    /// <summary>A paragraph of plain text (no markup).</summary>
    public void Text(string text) => Console.WriteLine(text);

    /// <summary>A line with Spectre markup; the markup is dropped in plain mode.</summary>
    public void Markup(string markup) => Console.MarkupLine(markup);

    /// <summary>An empty line.</summary>
    public void Blank() => Console.WriteLine();

    /// <summary>A table in the terminal's style, with the given column headers (right-aligned when the name starts with '>').</summary>
    public Table Table(params string[] headers)
    {
        var table = new Table { Border = Plain ? TableBorder.Ascii : TableBorder.Rounded };
        foreach (var header in headers)
        {
            bool right = header.StartsWith('>');
            var column = new TableColumn(Spectre.Console.Markup.Escape(right ? header[1..] : header));
            if (right) column.RightAligned();
            table.AddColumn(column);
        }
        return table;
    }

    /// <summary>Prints a renderable (table, grid).</summary>
    public void Write(IRenderable renderable) => Console.Write(renderable);

    /// <summary>
    /// Prints a 2-D grid of numbers as a table with row and column indices; positive values in
    /// one colour, negative in another (in a terminal).
    /// </summary>
    public void NumberGrid(float[,] values, string corner = "")
    {
        if (values.GetLength(1) <= MaxTableColumns) Write(GridTable(values, corner));
        else CompactGrid(values);
    }

    /// <summary>Grids wider than this are printed as aligned rows of numbers rather than as a table.</summary>
    public const int MaxTableColumns = 12;

    // One line per row, values right-aligned to the widest, so that wide grids still fit.
    private void CompactGrid(float[,] values)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        int width = 1;
        foreach (float v in values) width = Math.Max(width, Number(v).Length);
        for (int r = 0; r < rows; r++)
        {
            var line = new System.Text.StringBuilder();
            for (int c = 0; c < columns; c++)
            {
                float v = values[r, c];
                string text = Spectre.Console.Markup.Escape(Number(v).PadLeft(width));
                line.Append(c == 0 ? "" : " ").Append(Plain ? text : v > 0 ? $"[red]{text}[/]" : v < 0 ? $"[blue]{text}[/]" : $"[grey]{text}[/]");
            }
            Console.MarkupLine(line.ToString());
        }
    }

    /// <summary>
    /// A 2-D grid of numbers as a table with row and column indices. <paramref name="format"/>
    /// formats each value (default: <see cref="Number"/>).
    /// </summary>
    public Table GridTable(float[,] values, string corner = "", string? format = null)
    {
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var headers = new List<string> { corner };
        headers.AddRange(Enumerable.Range(0, columns).Select(c => ">" + c));
        var table = Table([.. headers]);
        if (!Plain) table.Border = TableBorder.Simple;
        for (int r = 0; r < rows; r++)
        {
            var cells = new List<string> { $"[grey]{r}[/]" };
            for (int c = 0; c < columns; c++)
            {
                float v = values[r, c];
                string text = format is null ? Number(v) : v.ToString(format, CultureInfo.InvariantCulture);
                cells.Add(v > 0 ? $"[red]{text}[/]" : v < 0 ? $"[blue]{text}[/]" : $"[grey]{text}[/]");
            }
            table.AddRow([.. cells]);
        }
        return table;
    }

    /// <summary>A number the way Convolve prints it: whole numbers with thousands separators, others with up to 3 decimals.</summary>
    public static string Number(double value)
    {
        if (value == 0) return "0"; // also turns -0 into 0
        if (Math.Abs(value - Math.Round(value)) < 1e-9 && Math.Abs(value) < 1e15) return Math.Round(value).ToString("N0", CultureInfo.InvariantCulture);
        return value.ToString("0.###", CultureInfo.InvariantCulture);
    }

    /// <summary>A count with thousands separators.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>
    /// A count and a noun that agrees with it: "1 epoch", "2 epochs", "0 epochs", "1,000 images".
    /// <paramref name="plural"/> defaults to the word with "s"; give it for the others ("class", "classes").
    /// </summary>
    public static string Plural(long count, string word, string? plural = null) =>
        $"{Count(count)} {(count == 1 ? word : plural ?? word + "s")}";
}
