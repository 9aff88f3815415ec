using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Convolve.Data;
using Convolve.Models;
using Convolve.Onnx;
using Convolve.Serialization;
using Convolve.Tensors;
using Convolve.Training;
using Convolve.Transfer;
using Spectre.Console;

namespace Convolve.Cli.Commands;

/// <summary>
/// <c>convolve transfer --backbone FILE.onnx --data DIR|FILE.npy</c>: a frozen pre-trained
/// network's features with a new classification head, against the same head and a small CNN
/// trained from scratch on the raw pixels of the same images and split; optionally the backbone's
/// last layers fine-tuned with the head.
/// </summary>
internal static class TransferCommand
{
    public static Command Create(Terminal terminal)
    {
        var options = new OptionBinder<Settings>()
            .Option(s => s.Backbone, "--backbone",
                "The pre-trained network: an ONNX file (or a Convolve .cvm model). Its output is the feature vector.", required: true)
            .Option(s => s.Preprocess, "--preprocess", "A model (ONNX or .cvm) run before the backbone, e.g. the ResNet featurizer's mean subtraction.")
            .Option(s => s.CutAfter, "--cut-after",
                "Use only the backbone's first N layers (to drop a classifier at its end); their output is the features.")
            .Option(s => s.Data, "--data",
                "A folder with one sub-folder of images per class, or a NumPy .npy file of images (N,H,W), (N,H,W,C) or (N,C,H,W).", required: true)
            .Option(s => s.Labels, "--labels",
                ".npy data: a .npy file of class numbers, one per image, or runs of consecutive images NAME:COUNT,... (e.g. face:100,non-face:100). " +
                $"Not needed for scikit-image's {NpyImages.LfwSubsetFileName} (100 faces, then 100 non-faces).")
            .Option(s => s.InputShape, "--input-shape", "The backbone's (or preprocessing's) input item shape C,H,W when its ONNX input does not fix it.")
            .Option(s => s.PixelScale, "--pixel-scale", "Multiply pixel values (0..1) by this for the backbone: 255 for one trained on 0..255.")
            .Option(s => s.Hidden, "--hidden", "Units of a hidden ReLU layer in the head (0: Flatten then Dense to the classes).", min: 0)
            .Option(s => s.Epochs, "--epochs", "Passes over the training images, for every model.")
            .Option(s => s.Batch, "--batch", "Images per optimisation step.")
            .Option(s => s.Optimizer, "--optimizer", OptimizerHelp.Optimizer)
            .Option(s => s.LearningRate, "--lr", OptimizerHelp.LearningRate(TransferOptions.DefaultSgdLearningRate))
            .Option(s => s.Seed, "--seed", "Seed of the split, initialisation and shuffling.", min: 0)
            .Option(s => s.Test, "--test", "Fraction of each class held out for testing.")
            .Option(s => s.ScratchSize, "--scratch-size", "Image size H,W of the from-scratch models (default: the .npy's size, or 32,32 for a folder).")
            .Option(s => s.FineTuneLast, "--fine-tune-last",
                "Also fine-tune the backbone's last N layers holding weights together with the head (0: no).", min: 0)
            .Option(s => s.FineTuneLearningRate, "--fine-tune-lr", "Learning rate of fine-tuning (default: --lr / 10).")
            .Option(s => s.Threads, "--threads", "The most threads the kernels use (0: one per core).", min: 0)
            .Option(s => s.Output, "--out", "Where to save the trained head; the feature cache is written next to it.")
            .Option(s => s.CombinedOutput, "--combined-out",
                "Also save preprocessing, backbone and head as one model here (fine-tuned when --fine-tune-last is given).");
        var command = options.CreateCommand("transfer",
            "Transfer learning: a pre-trained network's features with a new head, against models trained from scratch.");
        command.SetAction(result =>
            TrainingDiagnosticsView.Guard(terminal, () => Run(terminal, options.Read(result), result.InvocationConfiguration.Error)));
        return command;
    }

    /// <summary>The settings of a run; the defaults are those of the command line.</summary>
    internal sealed record Settings
    {
        /// <summary>The pre-trained network's file (ONNX or .cvm); required.</summary>
        public string Backbone { get; init; } = "";
        public string? Preprocess { get; init; }
        public int? CutAfter { get; init; }
        /// <summary>A folder of class folders or a .npy file of images; required.</summary>
        public string Data { get; init; } = "";
        public string? Labels { get; init; }
        public string? InputShape { get; init; }
        public float PixelScale { get; init; } = 1f;
        public int Hidden { get; init; }
        public int Epochs { get; init; } = TransferOptions.DefaultEpochs;
        public int Batch { get; init; } = TransferOptions.DefaultBatchSize;
        public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
        /// <summary>Null for the optimizer's default rate (<see cref="TransferOptions.DefaultLearningRate"/>).</summary>
        public float? LearningRate { get; init; }
        public int Seed { get; init; }
        public double Test { get; init; } = 0.2;
        public string? ScratchSize { get; init; }
        public int FineTuneLast { get; init; }
        public float? FineTuneLearningRate { get; init; }
        public int Threads { get; init; }
        public string Output { get; init; } = "transfer-head.cvm";
        public string? CombinedOutput { get; init; }
    }

    /// <summary>The frozen network (preprocessing and backbone), its item shapes, its parameter count, and what identifies it for the feature cache.</summary>
    private sealed record Backbone(Model Network, string Description, Shape InputShape, Shape FeatureShape, long Parameters);

    /// <summary>
    /// The images at their own size (<paramref name="Raw"/>, for the from-scratch models), at the backbone's size
    /// (<paramref name="Inputs"/>), and the indices of the training and held-out images.
    /// </summary>
    private sealed record Images(ImageDataset Raw, Tensor Inputs, int[] Train, int[] Test);

    internal static int Run(Terminal terminal, Settings s, TextWriter? error = null)
    {
        Validate(s);
        var total = Stopwatch.StartNew();
        var backbone = LoadBackbone(terminal, s, error);
        var images = LoadImages(terminal, s, backbone.InputShape);
        // Features: computed once, cached next to the output.
        var cache = new FeatureCache(terminal, Path.GetDirectoryName(Path.GetFullPath(s.Output))!, Path.GetFileNameWithoutExtension(s.Output),
            backbone.Description);
        var features = AsImages(cache.Compute(backbone.Network, images.Inputs, "features").Features, images.Raw);
        var options = TrainingOptions(terminal, s);

        var results = new List<TransferResult>();
        var (head, transfer) = TrainHead(s, backbone, features, images, options);
        results.Add(transfer);
        results.AddRange(TrainFromScratch(s, images, options));
        var finalHead = head;
        if (s.FineTuneLast > 0)
        {
            var fineTuned = FineTune(terminal, s, backbone, images, cache, head, options);
            results.Add(fineTuned);
            finalHead = (Sequential)((BodyWithHead)fineTuned.Model).Head;
        }
        PrintTable(terminal, results);

        Save(terminal, s, backbone, images, head, finalHead, transfer.Accuracy);
        terminal.Text($"{total.Elapsed.TotalSeconds:F1} s in all");
        return ConvolveApp.Success;
    }

    // The numbers, the optimizer's settings and the output files: checked before the backbone runs.
    private static void Validate(Settings s)
    {
        if (!(s.Test > 0 && s.Test < 1))
            throw new ArgumentException($"--test must be between 0 and 1, got {s.Test.ToString(CultureInfo.InvariantCulture)}.");
        if (!(s.PixelScale > 0) || float.IsInfinity(s.PixelScale))
            throw new ArgumentException($"--pixel-scale must be a positive number, got {s.PixelScale.ToString(CultureInfo.InvariantCulture)}.");
        if (!s.Output.EndsWith(".cvm", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"--out {s.Output}: the head is saved as a Convolve model; give a file name ending in .cvm.");
        TrainingDiagnosticsView.Validate(new OptimizerSettings(s.Optimizer, s.LearningRate ?? 1));
        if (s.FineTuneLearningRate is { } fineTuneRate)
            TrainingDiagnosticsView.Validate(new OptimizerSettings(s.Optimizer, fineTuneRate), "--fine-tune-lr");
        // The head, the feature cache beside it and the combined model.
        OutputPaths.CheckFile("--out", s.Output, example: "transfer-head.cvm");
        if (s.CombinedOutput is not null)
        {
            OutputPaths.CheckFile("--combined-out", s.CombinedOutput, example: "combined.cvm");
            OutputPaths.CheckDistinct("--combined-out", s.CombinedOutput, "--out", s.Output);
        }
    }

    // The network: optional preprocessing, then the backbone, as one frozen model.
    private static Backbone LoadBackbone(Terminal terminal, Settings s, TextWriter? error)
    {
        var (network, description) = LoadNetwork(s, warning => Warnings.Write(error ?? Console.Error, terminal, warning));
        network.SetMaxThreads(s.Threads);
        var inputShape = network.InputShape;
        var featureShape = network.GetOutputShape(inputShape.Prepend(1)).ItemShape;
        long parameters = network.Parameters.Sum(p => (long)p.Value.Length);
        string layers = s.CutAfter is { } n ? $" (first {Terminal.Plural(n, "layer")})" : "";
        string after = s.Preprocess is null ? "" : $" after {Path.GetFileName(s.Preprocess)}";
        terminal.Text($"Backbone: {Path.GetFileName(s.Backbone)}{layers}{after}: " +
            $"input {inputShape}, features {featureShape}, {Terminal.Count(parameters)} parameters (frozen), {network.Layers.Count} layers");

        int withWeights = ModelParts.CountLayersWithParameters(network);
        if (s.FineTuneLast > withWeights)
            throw new ArgumentException(
                $"--fine-tune-last {s.FineTuneLast}: the backbone has only {withWeights} layer{(withWeights == 1 ? "" : "s")} holding weights.");
        return new Backbone(network, description, inputShape, featureShape, parameters);
    }

    // The images, at their own size for the from-scratch models and at the backbone's size, split per class.
    private static Images LoadImages(Terminal terminal, Settings s, Shape backboneShape)
    {
        var (raw, backboneImages, source) = ReadImages(s, backboneShape);
        if (raw.ClassCount < 2 || raw.Labels.Distinct().Count() < 2)
            throw new ArgumentException(
                $"--data {s.Data}: all {raw.Count} images are of one class ({raw.ClassNames[raw.Labels[0]]}); a classifier needs at least two.");
        var inputs = BackboneInput.Fit(backboneImages, backboneShape, s.PixelScale);
        var (train, test) = DatasetSplit.TrainValidationIndices(raw.Labels, raw.ClassCount, s.Test, s.Seed);
        var counts = string.Join(", ", Enumerable.Range(0, raw.ClassCount).Select(c => $"{raw.Labels.Count(l => l == c)} {raw.ClassNames[c]}"));
        terminal.Text($"Data: {source}: {Terminal.Count(raw.Count)} images ({counts}), {raw.ImageShape.ToImageString()}; " +
            $"{train.Length} to train, {test.Length} held out ({s.Test * 100:0.#}% of each class, seed {s.Seed})");
        return new Images(raw, inputs, train, test);
    }

    // The same epochs, batch, optimizer and seed for every model.
    private static TransferOptions TrainingOptions(Terminal terminal, Settings s)
    {
        float lr = s.LearningRate ?? TransferOptions.DefaultLearningRate(s.Optimizer);
        var options = new TransferOptions(s.Epochs, s.Batch, s.Seed, new OptimizerSettings(s.Optimizer, lr), s.Hidden);
        terminal.Text($"Training: {Terminal.Plural(s.Epochs, "epoch")}, batch {s.Batch}, {options.OptimizerOrDefault}, seed {s.Seed}, " +
            "the same for every model");
        return options;
    }

    // A new head on the frozen backbone's features.
    private static (Sequential Head, TransferResult Result) TrainHead(Settings s, Backbone backbone, ImageDataset features, Images images,
        TransferOptions options)
    {
        var head = TransferLearning.CreateHead(features.ImageShape, images.Raw.ClassCount, s.Hidden, s.Seed);
        head.SetMaxThreads(s.Threads);
        return (head, TransferLearning.TrainAndTest("frozen backbone + head", $"{Terminal.Count(backbone.FeatureShape.Size)} features",
            head, features.Subset(images.Train), features.Subset(images.Test), options.Training(), backbone.Parameters));
    }

    // The baselines on the raw pixels: the same head alone, and the seed CNN.
    private static IEnumerable<TransferResult> TrainFromScratch(Settings s, Images images, TransferOptions options)
    {
        var raw = images.Raw;
        var rawTrain = raw.Subset(images.Train);
        var rawTest = raw.Subset(images.Test);
        string pixels = $"{raw.ImageShape.ToImageString()} pixels";
        var scratchHead = TransferLearning.CreateHead(raw.ImageShape, raw.ClassCount, s.Hidden, s.Seed);
        scratchHead.SetMaxThreads(s.Threads);
        yield return TransferLearning.TrainAndTest("head alone, from scratch", pixels, scratchHead, rawTrain, rawTest, options.Training());
        var cnn = Architectures.Seed(raw.ImageShape[0], raw.ClassCount);
        cnn.Build(raw.ImageShape, s.Seed);
        cnn.SetMaxThreads(s.Threads);
        yield return TransferLearning.TrainAndTest("seed CNN, from scratch", pixels, cnn, rawTrain, rawTest, options.Training());
    }

    // The backbone's last --fine-tune-last layers with weights and a copy of the trained head, trained together; the
    // layers before them run once, their outputs cached like the features.
    private static TransferResult FineTune(Terminal terminal, Settings s, Backbone backbone, Images images, FeatureCache cache, Sequential head,
        TransferOptions options)
    {
        var network = backbone.Network;
        var raw = images.Raw;
        var parts = TransferLearning.Cut(network, s.FineTuneLast);
        ImageDataset backInputs;
        long frontParameters = 0;
        if (parts.Front is null)
        {
            var shape = BackboneInput.AsImageShape(backbone.InputShape).Prepend(raw.Count);
            backInputs = new ImageDataset(images.Inputs.Reshape(shape), raw.Labels, raw.ClassNames);
        }
        else
        {
            var front = cache.Compute(parts.Front, images.Inputs, $"layer {parts.FrontLayers} outputs");
            backInputs = AsImages(front.Features, raw);
            frontParameters = parts.Front.Parameters.Sum(p => (long)p.Value.Length);
        }
        float fineLr = s.FineTuneLearningRate ?? options.OptimizerOrDefault.LearningRate / 10;
        string once = parts.FrontLayers > 0 ? $"layers 1 to {parts.FrontLayers} of {network.Layers.Count} run once" : "the whole backbone runs at every step";
        string statistics = parts.Back.Layers.Any(l => l is Layers.BatchNorm2D) ? "; batch normalisation keeps its pre-trained statistics" : "";
        terminal.Text($"Fine-tuning: the backbone's last {Terminal.Plural(s.FineTuneLast, "layer")} holding weights and a copy of the trained head, " +
            $"learning rate {fineLr.ToString("G3", CultureInfo.InvariantCulture)}; {once}{statistics}");
        return TransferLearning.FineTune(parts, s.FineTuneLast, head, backInputs.Subset(images.Train), backInputs.Subset(images.Test),
            options.Training(options.OptimizerOrDefault with { LearningRate = fineLr }), frontParameters,
            r => terminal.Text(string.Create(CultureInfo.InvariantCulture,
                $"  epoch {r.Epoch}/{s.Epochs}: loss {r.TrainLoss:F4}, training accuracy {r.TrainAccuracy * 100:F1}% ({r.Seconds:F1} s)")));
    }

    // The head to --out; with --combined-out, preprocessing, backbone and the final (perhaps fine-tuned) head as one model.
    private static void Save(Terminal terminal, Settings s, Backbone backbone, Images images, Sequential head, Sequential finalHead, float accuracy)
    {
        var metadata = new Dictionary<string, string>
        {
            ["transfer-backbone"] = Path.GetFileName(s.Backbone),
            ["transfer-preprocess"] = s.Preprocess is null ? "" : Path.GetFileName(s.Preprocess),
            ["transfer-pixel-scale"] = s.PixelScale.ToString(CultureInfo.InvariantCulture),
            ["data"] = s.Data,
            ["classes"] = string.Join("\n", images.Raw.ClassNames),
            ["held-out-accuracy"] = accuracy.ToString("F4", CultureInfo.InvariantCulture),
        };
        ModelFile.Save(head, s.Output, new ModelFileExtras(metadata, new Dictionary<string, Tensor>()));
        terminal.Text($"Head saved: {s.Output} (takes {head.InputShape} backbone features)");
        if (s.CombinedOutput is null) return;
        var joined = ModelParts.Concatenate(backbone.Network, TransferLearning.CopyHead(finalHead, backbone.FeatureShape));
        // predict and evaluate read this to scale images as the backbone saw them here.
        joined.Preparation = BackboneInput.Preparation(backbone.InputShape, s.PixelScale, images.Inputs);
        ModelFile.Save(joined, s.CombinedOutput, new ModelFileExtras(metadata, new Dictionary<string, Tensor>()));
        string scale = s.PixelScale.ToString(CultureInfo.InvariantCulture);
        terminal.Text($"Combined model saved: {s.CombinedOutput} (takes {joined.InputShape} inputs scaled by {scale}" +
            $"{(s.FineTuneLast > 0 ? ", fine-tuned" : "")})" +
            (joined.Preparation is null ? "" : "; the file says so, and predict and evaluate prepare images that way"));
    }

    private static (Model Network, string Description) LoadNetwork(Settings s, Action<string> onWarning)
    {
        var shape = s.InputShape is null ? (Shape?)null : ImportCommand.ParseShape(s.InputShape);
        Model? pre = null;
        if (s.Preprocess is not null)
        {
            pre = LoadModel(s.Preprocess, "--preprocess", shape, onWarning);
            // Both files name their layers from 1 (conv2d_1, ...); the prefix keeps the joined names apart.
            foreach (var layer in pre.Layers) layer.Name = "pre_" + layer.Name;
            shape = pre.GetOutputShape(pre.InputShape.Prepend(1)).ItemShape;
        }
        var backbone = LoadModel(s.Backbone, "--backbone", shape, onWarning);
        if (s.CutAfter is { } keep)
        {
            if (keep >= backbone.Layers.Count)
                throw new ArgumentException($"--cut-after {keep}: the backbone has {backbone.Layers.Count} layers; keep fewer to drop some.");
            var cuts = ModelParts.CutPoints(backbone);
            if (!cuts.Contains(keep))
                throw new ArgumentException($"--cut-after {keep}: the backbone cannot be cut there (inside a block); " +
                    $"the last cut points are {string.Join(", ", cuts.TakeLast(8))}.");
            backbone = ModelParts.Split(backbone, keep).Front;
        }
        string description = $"backbone {FileHash(s.Backbone)}\npreprocess {(s.Preprocess is null ? "none" : FileHash(s.Preprocess))}";
        if (pre is null) return (backbone, description);
        if (backbone.InputShape != pre.GetOutputShape(pre.InputShape.Prepend(1)).ItemShape)
            throw new ArgumentException($"--preprocess {s.Preprocess} outputs items of {pre.GetOutputShape(pre.InputShape.Prepend(1)).ItemShape}, " +
                $"but --backbone {s.Backbone} takes {backbone.InputShape}.");
        return (ModelParts.Concatenate(pre, backbone), description);
    }

    private static Model LoadModel(string path, string option, Shape? itemShape, Action<string> onWarning)
    {
        if (!File.Exists(path)) throw new ArgumentException($"{option} {path}: no such file.");
        if (path.EndsWith(".cvm", StringComparison.OrdinalIgnoreCase))
        {
            var model = ModelFile.Load(path);
            if (itemShape is { } shape && shape != model.InputShape)
                throw new ArgumentException($"{option} {path}: the model takes items of {model.InputShape}, not {shape}.");
            return model;
        }
        return OnnxImporter.Load(path, itemShape, onWarning);
    }

    private static string FileHash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    // The images as a data set at their own size (for the from-scratch models), the images at the
    // backbone's size (0..1, before channel conversion and scaling), and where they came from.
    private static (ImageDataset Raw, Tensor ForBackbone, string Source) ReadImages(Settings s, Shape backboneShape)
    {
        int[]? scratch = s.ScratchSize is null ? null : ParseSize(s.ScratchSize);
        if (File.Exists(s.Data))
        {
            if (!s.Data.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--data {s.Data}: a file must be a NumPy .npy array of images; " +
                    "otherwise give a folder with one sub-folder of images per class.");
            var images = NpyImages.ToImages(Npy.Read(s.Data), s.Data);
            int n = images.Shape[0];
            var (labels, classNames) = s.Labels is null
                ? NpyImages.KnownLabels(s.Data, n) ?? throw new ArgumentException($"--data {s.Data}: say which class each of its {n} images is " +
                    "with --labels (a .npy file of class numbers, or runs such as face:100,non-face:100).")
                : s.Labels.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || File.Exists(s.Labels)
                    ? NpyImages.FromArray(Npy.Read(s.Labels), n, s.Labels)
                    : NpyImages.ParseRuns(s.Labels, n, "--labels");
            var raw = new ImageDataset(images, labels, classNames);
            if (scratch is not null) raw = new ImageDataset(BackboneInput.Fit(images, new Shape(images.Shape[1], scratch[0], scratch[1])), labels, classNames);
            string known = s.Labels is null ? $" (labels: {string.Join(", ", classNames)}, known for {NpyImages.LfwSubsetFileName})" : "";
            return (raw, images, s.Data + known);
        }
        if (!Directory.Exists(s.Data))
            throw new ArgumentException($"--data {s.Data}: no such file or folder.");
        if (s.Labels is not null)
            throw new ArgumentException($"--labels is for .npy data; the classes of folder {s.Data} are its sub-folders.");
        if (Directory.Exists(Path.Combine(s.Data, "train")) && Directory.Exists(Path.Combine(s.Data, "test")))
            throw new ArgumentException($"--data {s.Data}: has train/ and test/ sub-folders; " +
                $"transfer splits one folder of classes itself (--test): give {Path.Combine(s.Data, "train")}.");
        // Colour for a backbone of 3 channels (and for the from-scratch models alike), gray otherwise.
        int channels = backboneShape.Rank == 3 && backboneShape[0] == 3 ? 3 : 1;
        int height = backboneShape.Rank == 3 ? backboneShape[1] : 32, width = backboneShape.Rank == 3 ? backboneShape[2] : 32;
        var decoder = new Imaging.SkiaImageDecoder();
        var big = ImageFolder.Load(s.Data, decoder, new ImageFolderOptions { Channels = channels, Height = height, Width = width });
        scratch ??= [32, 32];
        var small = ImageFolder.Load(s.Data, decoder, new ImageFolderOptions { Channels = channels, Height = scratch[0], Width = scratch[1] });
        return (small.Dataset, big.Dataset.Images, $"{s.Data}{(big.Skipped.Count > 0 ? $" ({big.Skipped.Count} files skipped)" : "")}");
    }

    private static int[] ParseSize(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var size = new int[2];
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out size[0])
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out size[1]) || size[0] <= 0 || size[1] <= 0)
            throw new ArgumentException($"--scratch-size: expected two positive whole numbers H,W, got '{text}'.");
        return size;
    }

    /// <summary>
    /// Outputs of the frozen layers for every image, computed once and kept in a file in <paramref name="directory"/> named for
    /// <paramref name="stem"/> and a key of the model, the images and <paramref name="description"/> (the files' hashes).
    /// </summary>
    private sealed class FeatureCache(Terminal terminal, string directory, string stem, string description)
    {
        public CachedFeatures Compute(Model model, Tensor inputs, string what)
        {
            var clock = Stopwatch.StartNew();
            string key = Features.Key(model, inputs, description);
            string path = Features.CachePath(directory, stem, key);
            CachedFeatures? cached = null;
            if (terminal.Plain || !terminal.Console.Profile.Capabilities.Interactive || File.Exists(path))
                cached = Features.GetOrCompute(path, model, inputs);
            else
            {
                terminal.Console.Progress().AutoClear(true)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(context =>
                    {
                        var task = context.AddTask($"Backbone {what}", maxValue: inputs.Shape[0]);
                        cached = Features.GetOrCompute(path, model, inputs, progress: (done, _) => task.Value = done);
                    });
            }
            if (cached!.Note is not null) terminal.Text(cached.Note);
            terminal.Text(cached.Reused
                ? $"Backbone {what}: reused the cache {path} (same backbone, preprocessing and images)"
                : $"Backbone {what}: computed for {Terminal.Count(inputs.Shape[0])} images in {clock.Elapsed.TotalSeconds:F1} s, cached in {path}");
            return cached;
        }
    }

    // Features [N, ...] as a data set of images [N, C, H, W] with the labels of `raw`.
    private static ImageDataset AsImages(Tensor features, ImageDataset raw) =>
        new(features.Reshape(BackboneInput.AsImageShape(features.Shape.ItemShape).Prepend(features.Shape[0])), raw.Labels, raw.ClassNames);

    private static void PrintTable(Terminal terminal, IReadOnlyList<TransferResult> results)
    {
        terminal.Blank();
        var table = terminal.Table("Model", "Input", ">Held-out accuracy", ">Parameters trained", ">Frozen", ">Training time");
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.Method), Markup.Escape(r.Input),
                $"{r.Accuracy * 100:F1}% ({r.Correct}/{r.Tested})", Terminal.Count(r.TrainedParameters), Terminal.Count(r.FrozenParameters),
                $"{r.Seconds:F1} s");
        terminal.Write(table);
    }
}
