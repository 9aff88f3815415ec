using System.Globalization;
using System.Runtime.InteropServices;
using Convolve.Analysis;
using Convolve.Data;
using Convolve.Models;
using Convolve.Training;

namespace Convolve.Cli.Report;

/// <summary>The first convolution's weights at one point of a run.</summary>
/// <param name="Epoch">Epochs finished when they were taken: 0 before training.</param>
/// <param name="Shape">[K, C, kH, kW].</param>
/// <param name="Weights">The weights in that shape, row-major.</param>
internal sealed record FilterSnapshot(int Epoch, int[] Shape, float[] Weights);

/// <summary>
/// What the report needs of a run that the training session does not keep: the first-layer
/// filters after each epoch (and before the first) and the epoch time predicted before training.
/// Both go into every checkpoint's metadata, so that a resumed run keeps the epochs before the
/// stop and <c>convolve report CHECKPOINT</c> can show them; they are small (the seed network's
/// 32 3x3 filters are 1.5 KB of text an epoch).
/// </summary>
internal sealed class ReportLog
{
    private const string FilterKey = "train-filters.";
    private readonly SortedDictionary<int, FilterSnapshot> filters = [];

    /// <summary>The filters recorded so far, by epoch (0: before training).</summary>
    public IReadOnlyList<FilterSnapshot> Filters => [.. filters.Values];

    /// <summary>The epoch time predicted before training; null when none was made.</summary>
    public EpochTimePrediction? Prediction { get; private set; }

    /// <summary>
    /// The log of a run: a new run (<paramref name="saved"/> null) starts with the filters it is
    /// about to train; a resumed one, or a checkpoint being reported, with what its checkpoint holds.
    /// </summary>
    public static ReportLog Start(TrainingSession session, IReadOnlyDictionary<string, string>? saved)
    {
        var log = new ReportLog();
        if (saved is null)
        {
            if (session.CompletedEpochs == 0 && !session.IsMidEpoch) log.Record(session.Model, 0);
            return log;
        }
        foreach (var (key, value) in saved)
            if (key.StartsWith(FilterKey, StringComparison.Ordinal)
                && int.TryParse(key.AsSpan(FilterKey.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int epoch)
                && Parse(epoch, value) is { } snapshot)
                log.filters[epoch] = snapshot;
        log.Prediction = EpochTimePrediction.From(saved);
        return log;
    }

    /// <summary>Records the first convolution's filters after <paramref name="epoch"/> (nothing for a model without one).</summary>
    public void Record(Model model, int epoch)
    {
        if (FirstConvolutionWeight(model) is not { } weight) return;
        filters[epoch] = new FilterSnapshot(epoch, [weight.Shape[0], weight.Shape[1], weight.Shape[2], weight.Shape[3]], weight.ToArray());
    }

    /// <summary>
    /// Predicts the epoch time (see <see cref="EpochTimePrediction.Calibrate"/>) on a fresh model of
    /// <paramref name="architecture"/> and says so on the console.
    /// </summary>
    public void Calibrate(Terminal terminal, string architecture, TrainingSession session, ImageDataset train, ImageDataset? validation)
    {
        var twin = Architectures.Get(architecture).Build(session.Options.Seed, train.ImageShape[0], train.ClassCount);
        Prediction = EpochTimePrediction.Calibrate(twin, session, train, validation);
        terminal.Text(Prediction is null ? "No epoch time predicted: the calibration's training steps diverged." : Prediction.Summary + ".");
    }

    /// <summary>Puts the log into a checkpoint's metadata.</summary>
    public void WriteTo(IDictionary<string, string> metadata)
    {
        foreach (var snapshot in filters.Values) metadata[FilterKey + snapshot.Epoch.ToString(CultureInfo.InvariantCulture)] = Format(snapshot);
        Prediction?.WriteTo(metadata);
    }

    private static Tensors.Tensor? FirstConvolutionWeight(Model model) => LayerOutputs.FirstConvolution(model)?.Weight.Value;

    // "K,C,kH,kW:" then the float32 weights, little-endian, in base64.
    private static string Format(FilterSnapshot s) =>
        string.Join(",", s.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ":" +
        Convert.ToBase64String(MemoryMarshal.AsBytes(s.Weights.AsSpan()));

    // A snapshot this version cannot read is left out rather than failing the report.
    private static FilterSnapshot? Parse(int epoch, string text)
    {
        int colon = text.IndexOf(':');
        if (colon < 0) return null;
        var dims = text[..colon].Split(',');
        var shape = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
            if (!int.TryParse(dims[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] <= 0) return null;
        if (shape.Length != 4) return null;
        byte[] bytes;
        try { bytes = Convert.FromBase64String(text[(colon + 1)..]); }
        catch (FormatException) { return null; }
        long count = (long)shape[0] * shape[1] * shape[2] * shape[3];
        if (bytes.Length != count * sizeof(float)) return null;
        return new FilterSnapshot(epoch, shape, MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }
}
