using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Analysis;

/// <summary>One training run from one random initialisation.</summary>
/// <param name="InitSeed">Seed of the initial parameters and of the batch order.</param>
/// <param name="FinalLoss">Mean cross-entropy over the last training epoch.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation images, used to choose among starts.</param>
public sealed record TrainingStart(int InitSeed, double ValidationAccuracy, float FinalLoss);

/// <summary>What <see cref="EdgeFilterExperiment.Run"/> found.</summary>
/// <param name="Model">The trained article network (the start with the best validation accuracy).</param>
/// <param name="Kernel">The learned 3x3 filter, row-major.</param>
/// <param name="KernelBias">The learned filter's bias.</param>
/// <param name="Correlation">Pearson correlation of <see cref="Kernel"/> with the hand-made horizontal kernel.</param>
/// <param name="LineCorrelation">Pearson correlation of <see cref="Kernel"/> with <see cref="EdgeFilterExperiment.LineKernel"/>.</param>
/// <param name="RowStructure">Share of the learned filter's variation that lies between its rows (see <see cref="KernelMath.RowStructure"/>).</param>
/// <param name="Starts">Every start tried, in order; the chosen one is <see cref="ChosenStart"/>.</param>
/// <param name="TargetValidationAccuracy">The validation accuracy at which no further start was tried.</param>
/// <param name="TestAccuracy">Accuracy on held-out images that played no part in training or in choosing the start.</param>
public sealed record EdgeFilterResult(
    Sequential Model, float[] Kernel, float KernelBias, double Correlation, double LineCorrelation, double RowStructure,
    int TrainCount, int ValidationCount, int TestCount, int Epochs, float LearningRate, int BatchSize, double TargetValidationAccuracy,
    IReadOnlyList<TrainingStart> Starts, int ChosenStart,
    double TrainAccuracy, double TestAccuracy);

/// <summary>The learned filter's response to one image.</summary>
/// <param name="FeatureMap">The filter's output (before ReLU), [1, 1, 4, 4].</param>
/// <param name="PeakRow">Row of the largest response.</param>
/// <param name="Peak">The largest response.</param>
/// <param name="EdgeProbability">The network's probability for "horizontal edge".</param>
public sealed record FilterResponse(Tensor Image, Tensor FeatureMap, int PeakRow, float Peak, float EdgeProbability);

/// <summary>
/// Step 4 of the article: filters are learned, not hand-made. Trains the article's network (one
/// 3x3 filter) on <see cref="EdgeImages"/> and compares the learned filter with the hand-made
/// horizontal edge detector.
/// </summary>
public static class EdgeFilterExperiment
{
    /// <summary>
    /// Generates training, validation and test images from <paramref name="seed"/> and trains the
    /// article's network from one random initialisation after another, until one reaches
    /// <paramref name="targetValidationAccuracy"/> on the validation images or
    /// <paramref name="maxStarts"/> have been tried; the start with the best validation accuracy
    /// is kept and measured on the test images. One filter can settle on a poor pattern (a
    /// vertical edge, or a filter that ReLU silences), which is why several starts may be needed.
    /// Training is plain mini-batch SGD (<see cref="Sgd"/> without momentum) on cross-entropy, run
    /// by the library's <see cref="Trainer"/>. The same seed gives the same result.
    /// </summary>
    public static EdgeFilterResult Run(int seed, int maxStarts = 8, double targetValidationAccuracy = 0.95, int trainCount = 1000, int validationCount = 500,
        int testCount = 1000, int epochs = 15, float learningRate = 0.1f, int batchSize = 20)
    {
        if (maxStarts <= 0) throw new ArgumentException($"EdgeFilterExperiment: maxStarts must be positive, got {maxStarts}.");
        var train = EdgeImages.Generate(trainCount, seed);
        var validation = EdgeImages.Generate(validationCount, seed + 1);
        var test = EdgeImages.Generate(testCount, seed + 2);
        var tried = new List<TrainingStart>();
        Sequential? best = null;
        int chosen = 0;
        for (int start = 0; start < maxStarts && (best is null || tried[chosen].ValidationAccuracy < targetValidationAccuracy); start++)
        {
            int initSeed = seed * 1000 + start;
            var model = Architectures.Article();
            model.Build(new Shape(1, EdgeImages.Size, EdgeImages.Size), initSeed);
            var trainer = new Trainer(model, new Sgd(model.Parameters, momentum: 0), learningRate);
            var loader = new DataLoader(train, new DataLoaderOptions { BatchSize = batchSize, Seed = initSeed });
            float loss = float.NaN;
            for (int epoch = 0; epoch < epochs; epoch++) loss = trainer.TrainEpoch(loader, epoch).Loss;
            double accuracy = Accuracy(model, validation);
            tried.Add(new TrainingStart(initSeed, accuracy, loss));
            if (best is null || accuracy > tried[chosen].ValidationAccuracy) (best, chosen) = (model, start);
        }

        var conv = (Conv2D)best!.Layers[0];
        float[] kernel = conv.Weight.Value.ToArray();
        float kernelBias = conv.Bias!.Value[0];
        double correlation = KernelMath.Correlation(kernel, ArticleExample.HorizontalKernel().Span);
        double lineCorrelation = KernelMath.Correlation(kernel, LineKernel().Span);
        return new EdgeFilterResult(best, kernel, kernelBias, correlation, lineCorrelation, KernelMath.RowStructure(kernel, 3),
            trainCount, validationCount, testCount, epochs, learningRate, batchSize, targetValidationAccuracy, tried, chosen,
            Accuracy(best, train), Accuracy(best, test));
    }

    /// <summary>
    /// A second horizontal pattern a single filter can settle on for striped images: a thin
    /// horizontal line detector (-1, 2, -1 down the rows), which fires on both edges of a stripe. [1, 1, 3, 3].
    /// </summary>
    public static Tensor LineKernel() => Tensor.FromArray([-1, -1, -1, 2, 2, 2, -1, -1, -1], 1, 1, 3, 3);

    /// <summary>Share of images whose most probable class is their label.</summary>
    public static double Accuracy(Model model, ImageDataset data)
    {
        var probabilities = model.Forward(data.Images);
        int classes = probabilities.Shape[1], correct = 0;
        for (int n = 0; n < data.Count; n++)
        {
            var row = probabilities.Span.Slice(n * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
            if (best == data.Labels[n]) correct++;
        }
        return (double)correct / data.Count;
    }

    /// <summary>
    /// Runs the trained network's filter and the whole network on <paramref name="image"/> [1, 1, 6, 6]:
    /// used to show that the same filter fires for an edge wherever it is.
    /// </summary>
    public static FilterResponse Respond(Sequential model, Tensor image)
    {
        float edgeProbability = model.Forward(image)[0, EdgeImages.EdgeLabel];
        var featureMap = model.Layers[0].Forward(image).Clone();
        int peakRow = 0;
        float peak = float.NegativeInfinity;
        for (int h = 0; h < featureMap.Shape[2]; h++)
            for (int w = 0; w < featureMap.Shape[3]; w++)
                if (featureMap[0, 0, h, w] > peak) (peak, peakRow) = (featureMap[0, 0, h, w], h);
        return new FilterResponse(image, featureMap, peakRow, peak, edgeProbability);
    }
}
