using Convolve.Training;

namespace Convolve.Cli.Serve;

/// <summary>
/// One point of the Train page's curves: the mean loss and accuracy of the batches since the
/// previous point (at most ten points a second), and the epoch's running means so far.
/// </summary>
/// <param name="Run">The run's id.</param>
/// <param name="Progress">Epochs done, with the current one's fraction (2.5 is half-way through the third).</param>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="BatchCount">Batches in an epoch.</param>
/// <param name="Loss">Mean training loss of the batches since the previous point.</param>
/// <param name="Accuracy">Accuracy on the training images of those batches, 0 to 1.</param>
/// <param name="EpochLoss">Mean training loss of the epoch so far.</param>
/// <param name="EpochAccuracy">Training accuracy of the epoch so far.</param>
/// <param name="ImagesPerSecond">Training speed since the run (or its resumption) started this epoch.</param>
internal sealed record TrainPoint(string Run, double Progress, int Epoch, int Batch, int BatchCount, float Loss, float Accuracy,
    float EpochLoss, float EpochAccuracy, double ImagesPerSecond);

/// <summary>
/// The first layer's weights at one moment: Count filters of Channels x Height x Width, row-major
/// (for a network that starts with a dense layer, its first units' weights as images).
/// </summary>
/// <param name="Run">The run's id.</param>
/// <param name="Layer">What the filters are, in words.</param>
/// <param name="Epoch">The epoch they are from (from 1).</param>
/// <param name="Batch">Batches done in that epoch, or -1 (<see cref="TrainJob.EpochEnd"/>) for the weights after it.</param>
/// <param name="Count">How many filters.</param>
/// <param name="Channels">Input channels of each.</param>
/// <param name="Height">Rows of each.</param>
/// <param name="Width">Columns of each.</param>
/// <param name="Limit">The largest magnitude among them: the end of the diverging colour scale.</param>
/// <param name="Values">Count x Channels x Height x Width weights.</param>
internal sealed record TrainFilters(string Run, string Layer, int Epoch, int Batch, int Count, int Channels, int Height, int Width,
    float Limit, float[] Values);

/// <summary>An epoch's record, for the page.</summary>
/// <param name="Run">The run's id.</param>
/// <param name="Record">Its losses and accuracies (training and validation) and seconds.</param>
internal sealed record TrainEpoch(string Run, EpochRecord Record);

/// <summary>A warning from the training diagnostics (loss rising, dead units, ...).</summary>
/// <param name="Run">The run's id.</param>
/// <param name="Severity">warning or error.</param>
/// <param name="Text">The diagnostic and its suggestion, one line.</param>
internal sealed record TrainWarning(string Run, string Severity, string Text);

/// <summary>A stopped run whose checkpoint is in the runs folder, to resume by its id.</summary>
/// <param name="Run">The id (run-N).</param>
/// <param name="Architecture">What it trains.</param>
/// <param name="Data">On which named data set.</param>
/// <param name="CompletedEpochs">Epochs finished.</param>
/// <param name="Epochs">Epochs in the run.</param>
internal sealed record ResumableRun(string Run, string Architecture, string Data, int CompletedEpochs, int Epochs);

/// <summary>The settings of a run, as the page shows them.</summary>
/// <param name="Architecture">The architecture's name.</param>
/// <param name="Data">The data set's name.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="LearningRate">The base learning rate.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="Limit">Training images used (before the validation split).</param>
/// <param name="Seed">The seed.</param>
/// <param name="Optimizer">sgd, adam or adamw.</param>
/// <param name="CommandLine">The <c>convolve train</c> command that trains the same run.</param>
internal sealed record TrainRunSettings(string Architecture, string Data, int Epochs, float LearningRate, int BatchSize, int Limit, int Seed,
    string Optimizer, string CommandLine);

/// <summary>
/// Everything the Train page shows, as <c>GET /api/train/state</c> answers and as the first event a
/// new subscriber gets: the latest run (running or ended) and the runs that can be resumed.
/// </summary>
/// <param name="Status">idle (no run yet), running, stopping, stopped, finished or failed.</param>
/// <param name="Run">The latest run's id, or null.</param>
/// <param name="Settings">Its settings.</param>
/// <param name="CompletedEpochs">Epochs finished.</param>
/// <param name="TrainImages">Training images per epoch.</param>
/// <param name="ValidationImages">Images held out to validate each epoch.</param>
/// <param name="TestImages">Test images, evaluated when the run finishes.</param>
/// <param name="Points">The curves' points so far (thinned evenly when a run grows long).</param>
/// <param name="Epochs">One record per finished epoch.</param>
/// <param name="Filters">The first layer's latest weights, or null.</param>
/// <param name="Model">The served model's name once the run has finished.</param>
/// <param name="TestAccuracy">Accuracy on the test images once finished.</param>
/// <param name="TestLoss">Loss on the test images once finished.</param>
/// <param name="Checkpoint">The checkpoint file of a stopped run.</param>
/// <param name="SavedModel">The model file of a finished run.</param>
/// <param name="Message">One line on what happened last.</param>
/// <param name="Warnings">The diagnostics' warnings during the run.</param>
/// <param name="Resumable">Stopped runs that can be resumed, by id.</param>
internal sealed record TrainState(string Status, string? Run, TrainRunSettings? Settings, int CompletedEpochs, int TrainImages, int ValidationImages,
    int TestImages, IReadOnlyList<TrainPoint> Points, IReadOnlyList<EpochRecord> Epochs, TrainFilters? Filters, string? Model,
    float? TestAccuracy, float? TestLoss, string? Checkpoint, string? SavedModel, string? Message, IReadOnlyList<TrainWarning> Warnings,
    IReadOnlyList<ResumableRun> Resumable);
