using System.CommandLine;
using Convolve.Analysis;
using Convolve.Cli.Pictures;
using Convolve.Models;
using Convolve.Tensors;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary>
/// <c>convolve intro</c>: the introduction to CNNs, step by step, every number computed by the engine.
/// </summary>
internal static class IntroCommand
{
    /// <summary>The folder pictures go to when <c>--images</c> is given without a folder.</summary>
    public const string DefaultImageFolder = "convolve-intro-images";

    // The numbers the article prints that Convolve checks. They are quotations, shown as such,
    // never used as results. The Article page of `convolve serve` quotes them too.
    internal static readonly float[] ArticleQuotedRows = [0, -765, 765, 0];
    internal const long ArticleQuotedWeights = 864;

    public static Command Create(Terminal terminal)
    {
        var images = new Option<DirectoryInfo?>("--images")
        {
            Description = $"Write PNG pictures into this folder (default: ./{DefaultImageFolder}).",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "DIR",
        };
        var seed = OptionFactory.Int("--seed", "Seed of the generated images and of the initial weights in step 4.", 1, min: 0);
        var command = new Command("intro", "The introduction to CNNs, step by step: every number computed by Convolve.") { images, seed };
        command.SetAction(result =>
        {
            string? folder = null;
            if (result.GetResult(images) is not null)
                folder = result.GetValue(images)?.FullName ?? Path.GetFullPath(DefaultImageFolder);
            Run(terminal, result.GetValue(seed), folder);
            return ConvolveApp.Success;
        });
        return command;
    }

    public static void Run(Terminal t, int seed, string? imageFolder)
    {
        if (imageFolder is not null) OutputPaths.CheckFolder("--images", imageFolder);
        var pictures = new PictureFolder(imageFolder);
        var image = ArticleExample.AnchorImage();
        var horizontal = ArticleExample.HorizontalKernel();

        HorizontalEdges(t, image, horizontal, pictures);
        VerticalEdges(t, image, pictures);
        ArticleNetwork(t, seed);
        t.Heading("4. Filters are learned, not hand-coded");
        LearnedFilter(t, seed, horizontal, pictures.Write);
        t.Heading("5. Parameter sharing: a fully connected layer vs a convolution");
        ParameterTable(t);
        GrayscaleQuestion(t);
        CoverageQuestion(t, pictures);
        pictures.List(t);
    }

    /// <summary>The pictures of a run: written into the folder of <c>--images</c>, or nowhere without it.</summary>
    private sealed class PictureFolder(string? folder)
    {
        private readonly List<string> written = [];

        public void Write(string name, params HeatPanel[] panels)
        {
            if (folder is null) return;
            string path = Path.Combine(folder, name);
            HeatMap.Write(path, panels);
            written.Add(path);
        }

        /// <summary>The files written, under a heading; nothing without <c>--images</c>.</summary>
        public void List(Terminal t)
        {
            if (folder is null) return;
            t.Heading("Pictures");
            foreach (var path in written) t.Text(path);
        }
    }

    private static void HorizontalEdges(Terminal t, Tensor image, Tensor horizontal, PictureFolder pictures)
    {
        t.Heading("1. A horizontal edge detector on the 6x6 anchor image");
        t.Text($"The image: 6x6 grayscale pixels; rows {string.Join(" and ", ArticleExample.BrightRows)} (counting from 0) are bright " +
            $"({Terminal.Number(ArticleExample.Bright)}), the others dark (0).");
        t.NumberGrid(HeatMap.ToGrid(image), "row");
        t.Text("The kernel: +1 on its top row, 0 in the middle, -1 on its bottom row.");
        t.NumberGrid(HeatMap.ToGrid(horizontal), "row");
        var map = ArticleExample.Convolve(image, horizontal);
        t.Text($"Conv2D (no padding, stride 1) gives a {map.Shape[2]}x{map.Shape[3]} feature map:");
        t.NumberGrid(HeatMap.ToGrid(map), "row");
        ExplainRows(t, image, map);
        ArticleMapNote(t, horizontal, map);
        pictures.Write("01-anchor-image.png", new HeatPanel(HeatMap.ToGrid(image), new GrayScale(0, ArticleExample.Bright), "anchor image"));
        pictures.Write("02-kernel-horizontal.png",
            new HeatPanel(HeatMap.ToGrid(horizontal), DivergingScale.For(HeatMap.ToGrid(horizontal)), "horizontal kernel"));
        pictures.Write("03-feature-map-horizontal.png", new HeatPanel(HeatMap.ToGrid(map), DivergingScale.For(HeatMap.ToGrid(map)), "feature map"));
    }

    private static void VerticalEdges(Terminal t, Tensor image, PictureFolder pictures)
    {
        var vertical = ArticleExample.VerticalKernel();
        t.Heading("2. A vertical edge detector on the same image");
        t.Text("The kernel turned a quarter: +1 in its left column, -1 in its right column.");
        t.NumberGrid(HeatMap.ToGrid(vertical), "row");
        var verticalMap = ArticleExample.Convolve(image, vertical);
        t.NumberGrid(HeatMap.ToGrid(verticalMap), "row");
        float largest = verticalMap.MaxAbs();
        if (largest == 0 && ArticleExample.RowsAreUniform(image))
            t.Text("Every output is 0. Each image row holds a single value, so in every window the left column equals the right " +
                "column and +1 x a - 1 x a cancels. Column 0 alone, or any column, is uniform in the horizontal direction: " +
                "there is no vertical edge for this filter to find.");
        else t.Text($"The largest response is {Terminal.Number(largest)}.");
        pictures.Write("04-kernel-vertical.png", new HeatPanel(HeatMap.ToGrid(vertical), DivergingScale.For(HeatMap.ToGrid(vertical)), "vertical kernel"));
        pictures.Write("05-feature-map-vertical.png",
            new HeatPanel(HeatMap.ToGrid(verticalMap), DivergingScale.For(HeatMap.ToGrid(verticalMap)), "feature map"));
    }

    private static void ArticleNetwork(Terminal t, int seed)
    {
        t.Heading("3. The article's network, shape by shape");
        var architecture = Architectures.Get("article");
        SummaryCommand.Print(t, ($"{architecture.Name}: {architecture.Description}", architecture.Build(seed)));
    }

    private static void GrayscaleQuestion(Terminal t)
    {
        t.Heading("6. Question 1: a 100x100 grayscale image");
        var dense = ParameterCounts.DenseOnImage(100, 100, 1, 200);
        var filter = ParameterCounts.Conv(1, 3, 3, 1);
        t.Text($"Fully connected, 100x100 = {Terminal.Count(100 * 100)} inputs into 200 units: " +
            $"{Terminal.Count(dense.Weights)} weights (+ {Terminal.Count(dense.Biases)} biases).");
        t.Text($"One 3x3 filter: {Terminal.Count(filter.Weights)} weights (+ {Terminal.Count(filter.Biases)} bias).");
        t.Markup($"Ratio of weights: {Terminal.Count(dense.Weights)} / {Terminal.Count(filter.Weights)} = " +
            $"[bold]{ParamsCommand.Ratio(dense.Weights, filter.Weights)}[/]; " +
            $"with biases: {Terminal.Count(dense.Total)} / {Terminal.Count(filter.Total)} = [bold]{ParamsCommand.Ratio(dense.Total, filter.Total)}[/].");
    }

    private static void CoverageQuestion(Terminal t, PictureFolder pictures)
    {
        t.Heading("7. Question 5: how often each pixel is used");
        var coverage = CoverageGrid.Compute(6, 6, 3, 3);
        CoverageCommand.Print(t, coverage);
        t.Text($"So a corner pixel is used {Terminal.Plural(coverage[0, 0], "time")}, " +
            $"an edge pixel {coverage[0, 1]} or {Terminal.Plural(coverage[0, 2], "time")}, " +
            $"and a pixel at least two pixels from every border {Terminal.Plural(coverage.Max, "time")}. Border pixels take part in fewer outputs, so " +
            "what happens at the borders has less say in what the network learns.");
        var padded = CoverageGrid.Compute(6, 6, 3, 3, padding: 1);
        t.Text($"With 1 pixel of zero padding the output stays {padded.OutH}x{padded.OutW} and the border pixels are used more:");
        CoverageCommand.Print(t, padded);
        pictures.Write("07-coverage.png", HeatMap.CoveragePanel(coverage, "no padding"), HeatMap.CoveragePanel(padded, "padding 1"));
    }

    private static void ExplainRows(Terminal t, Tensor image, Tensor map)
    {
        var table = t.Table(">Output row", "Kernel over image rows", ">+1 row", ">-1 row", ">Response", "Meaning");
        foreach (var row in ArticleExample.ExplainRows(image, map, 3))
        {
            float top = row.ImageRows[0], bottom = row.ImageRows[^1];
            string meaning = row.Response > 0 ? "bright above dark: bright-to-dark going down"
                : row.Response < 0 ? "dark above bright: dark-to-bright going down"
                : "uniform: no edge";
            table.AddRow($"{row.OutputRow}", $"{row.TopRow}..{row.TopRow + 2}",
                Terminal.Number(top), Terminal.Number(bottom), Terminal.Number(row.Response), meaning);
        }
        t.Write(table);
        t.Text("Output row i puts the kernel's three +1 weights on image row i and its three -1 weights on row i+2, so each output is 3 x (row i - row i+2).");
    }

    private static void ArticleMapNote(Terminal t, Tensor kernel, Tensor map)
    {
        var computedRows = Enumerable.Range(0, map.Shape[2]).Select(h => map[0, 0, h, 0]).ToArray();
        if (computedRows.SequenceEqual(ArticleQuotedRows) && ArticleExample.RowsAreUniform(map)) return;
        t.Blank();
        t.Markup("[yellow]A note on the article:[/] it prints this map's rows as " +
            $"{string.Join(", ", ArticleQuotedRows.Select(v => Terminal.Number(v)))}. Its own image and loop give " +
            $"{string.Join(", ", computedRows.Select(v => Terminal.Number(v)))}, as computed above: every 3-row window of this image " +
            "has a dark row and a bright row at its ends, so no output row is 0.");
        var sources = ArticleExample.RowPatternsGiving(kernel, ArticleQuotedRows);
        string found = sources.Count == 0
            ? "none of them gives the printed map"
            : $"the printed map comes only from {string.Join(" or ", sources.Select(p => "rows " + string.Join(",", p.Select(b => b ? "bright" : "dark"))))}";
        t.Text($"Of all 64 images whose rows are each wholly dark or wholly bright, {found}. Convolve prints what the arithmetic gives.");
    }

    private static void LearnedFilter(Terminal t, int seed, Tensor handMade, Action<string, HeatPanel[]> picture)
    {
        var r = EdgeFilterExperiment.Run(seed);
        t.Text($"Training images: {Terminal.Count(r.TrainCount)} generated 6x6 images, half with a horizontal stripe (a start row, height, " +
            "contrast and polarity drawn at random, plus noise), half without (flat, or a vertical stripe drawn the same way). " +
            $"Values are 0..1. Validation: {Terminal.Count(r.ValidationCount)} more; test: {Terminal.Count(r.TestCount)} more, used for nothing else.");
        t.Text($"The article's network (one 3x3 filter) was trained by Convolve's Trainer with plain SGD (learning rate {r.LearningRate}, " +
            $"batches of {r.BatchSize}) for {Terminal.Plural(r.Epochs, "epoch")}. One filter can get stuck on a poor pattern, so random starts are tried " +
            $"until one reaches {r.TargetValidationAccuracy:P0} validation accuracy, and the best is kept:");
        var starts = t.Table(">Start", ">Initial seed", ">Final loss", ">Validation accuracy", "");
        for (int i = 0; i < r.Starts.Count; i++)
        {
            var s = r.Starts[i];
            starts.AddRow($"{i + 1}", $"{s.InitSeed}", s.FinalLoss.ToString("0.000"), s.ValidationAccuracy.ToString("P1"), i == r.ChosenStart ? "kept" : "");
        }
        t.Write(starts);
        t.Markup($"Kept start {r.ChosenStart + 1}: training accuracy {r.TrainAccuracy:P1}, [bold]held-out test accuracy {r.TestAccuracy:P1}[/].");

        var learned = new float[3, 3];
        var hand = HeatMap.ToGrid(handMade);
        for (int i = 0; i < 9; i++) learned[i / 3, i % 3] = r.Kernel[i];
        t.Write(new Columns(t.GridTable(learned, "learned", "0.00"), t.GridTable(hand, "hand-coded")).Collapse());
        t.Text($"Learned bias: {r.KernelBias:0.00}. Correlation with the hand-coded kernel: {r.Correlation:0.00}. " +
            $"Share of the learned filter's variation that lies between its rows (1 = a purely horizontal pattern): {r.RowStructure:0.00}.");
        if (r.Correlation >= 0.5)
            t.Text("The learned filter looks like the hand-coded edge detector: it was never told to.");
        else if (r.Correlation <= -0.5)
            t.Text("The learned filter is the hand-coded edge detector upside down: it fires on the other edge of each stripe, which serves as well.");
        else
            t.Text("The learned filter found another horizontal pattern: " +
                $"its correlation with a line detector (-1, 2, -1 down the rows) is {r.LineCorrelation:0.00}" +
                (r.LineCorrelation <= -0.5
                    ? "; negative, so it is that detector upside down (1, -2, 1), firing where a row is darker than its neighbours above and below."
                    : "."));

        // Translation: the same filter fires for an edge near the top and one near the bottom.
        // The edge's polarity is the one the learned filter responds to positively.
        bool brightAbove = r.Correlation >= 0;
        const int topEdge = 2, bottomEdge = 4, shift = bottomEdge - topEdge;
        var topImage = EdgeImages.HorizontalEdge(topEdge, brightAbove);
        var bottomImage = EdgeImages.HorizontalEdge(bottomEdge, brightAbove);
        var top = EdgeFilterExperiment.Respond(r.Model, topImage);
        var bottom = EdgeFilterExperiment.Respond(r.Model, bottomImage);
        string polarity = brightAbove ? "bright above, dark below" : "dark above, bright below";
        t.Text($"Translation: one edge ({polarity}) above row {topEdge}, and the same edge above row {bottomEdge} (no noise). " +
            "The learned filter's output (before ReLU), column 0 of each 4x4 map:");
        var translation = t.Table("Image", ">Output row 0", ">1", ">2", ">3", ">Strongest", ">at row");
        foreach (var (name, response) in new[] { ($"edge above row {topEdge}", top), ($"edge above row {bottomEdge}", bottom) })
            translation.AddRow([name, .. Enumerable.Range(0, 4).Select(h => response.FeatureMap[0, 0, h, 0].ToString("0.00")),
                response.Peak.ToString("0.00"), $"{response.PeakRow}"]);
        t.Write(translation);
        bool shifted = Enumerable.Range(0, 4 - shift).All(h => Enumerable.Range(0, 4).All(w =>
            top.FeatureMap[0, 0, h, w] == bottom.FeatureMap[0, 0, h + shift, w]));
        t.Text(shifted && top.Peak == bottom.Peak
            ? $"Rows 0..{3 - shift} of the first map equal rows {shift}..3 of the second: the same filter gives the same response to the same edge, " +
                $"{shift} rows lower. It did not have to learn the two positions separately."
            : $"The responses differ: strongest {top.Peak:0.00} vs {bottom.Peak:0.00}.");

        picture("06-learned-vs-hand-coded.png", [
            new HeatPanel(learned, DivergingScale.For(learned), "learned"),
            new HeatPanel(hand, DivergingScale.For(hand), "hand-coded")]);
        picture("06-translation-feature-maps.png", [
            new HeatPanel(HeatMap.ToGrid(topImage), new GrayScale(0, 1), $"edge above row {topEdge}"),
            new HeatPanel(HeatMap.ToGrid(top.FeatureMap), DivergingScale.For(HeatMap.ToGrid(top.FeatureMap)), "response"),
            new HeatPanel(HeatMap.ToGrid(bottomImage), new GrayScale(0, 1), $"edge above row {bottomEdge}"),
            new HeatPanel(HeatMap.ToGrid(bottom.FeatureMap), DivergingScale.For(HeatMap.ToGrid(bottom.FeatureMap)), "response")]);
    }

    private static void ParameterTable(Terminal t)
    {
        var mnist = ParameterCounts.DenseOnImage(28, 28, 1, 100);
        var rgb = ParameterCounts.DenseOnImage(224, 224, 3, 100);
        var one = ParameterCounts.Conv(3, 3, 3, 1);
        var many = ParameterCounts.Conv(3, 3, 3, 64);
        var table = t.Table("Layer", ">Weights", ">Biases", ">Total");
        table.AddRow($"Fully connected: 28x28 = {Terminal.Count(28 * 28)} inputs -> 100 units",
            Terminal.Count(mnist.Weights), Terminal.Count(mnist.Biases), Terminal.Count(mnist.Total));
        table.AddRow($"Fully connected: 224x224x3 = {Terminal.Count(224 * 224 * 3)} inputs -> 100 units",
            Terminal.Count(rgb.Weights), Terminal.Count(rgb.Biases), Terminal.Count(rgb.Total));
        table.AddRow("Convolution: one 3x3 filter over 3 channels", Terminal.Count(one.Weights), Terminal.Count(one.Biases), Terminal.Count(one.Total));
        table.AddRow("Convolution: 64 filters of 3x3x3", Terminal.Count(many.Weights), Terminal.Count(many.Biases), Terminal.Count(many.Total));
        t.Write(table);
        long? filters = ParameterCounts.FiltersFor(ArticleQuotedWeights, 3, 3, 3);
        t.Markup($"[yellow]A note on the article:[/] it gives \"~{Terminal.Count(ArticleQuotedWeights)}\" for 64 filters of 3x3x3. " +
            $"The count is {Terminal.Count(many.Weights)} weights + {Terminal.Count(many.Biases)} biases" +
            (filters is { } f ? $"; {Terminal.Count(ArticleQuotedWeights)} weights is what {f} such filters have." : "."));
        t.Text($"The fully connected layer on the 224x224x3 image has {ParamsCommand.Ratio(rgb.Total, many.Total)} times " +
            "the parameters of the 64-filter convolution, " +
            "and only the convolution's count stays the same for larger images. " +
            "For other sizes: convolve params --height H --width W --channels C --hidden N --filters F --kernel K");
    }
}
