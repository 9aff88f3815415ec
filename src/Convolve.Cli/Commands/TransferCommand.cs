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
        var backbone = new Option<string>("--backbone") { Description = "The pre-trained network: an ONNX file (or a Convolve .cvm model). Its output is the feature vector.", Required = true };
        var preprocess = new Option<string?>("--preprocess") { Description = "A model (ONNX or .cvm) run before the backbone, e.g. the ResNet featurizer's mean subtraction." };
        var data = new Option<string>("--data") { Description = "A folder with one sub-folder of images per class, or a NumPy .npy file of images (N,H,W), (N,H,W,C) or (N,C,H,W).", Required = true };
        var labels = new Option<string?>("--labels")
        {
            Description = $".npy data: a .npy file of class numbers, one per image, or runs of consecutive images NAME:COUNT,... (e.g. face:100,non-face:100). Not needed for scikit-image's {NpyImages.LfwSubsetFileName} (100 faces, then 100 non-faces).",
        };
        var cutAfter = OptionFactory.OptionalInt("--cut-after", "Use only the backbone's first N layers (to drop a classifier at its end); their output is the features.");
        var inputShape = new Option<string?>("--input-shape") { Description = "The backbone's (or preprocessing's) input item shape C,H,W when its ONNX input does not fix it." };
        var pixelScale = new Option<float>("--pixel-scale") { Description = "Multiply pixel values (0..1) by this for the backbone: 255 for one trained on 0..255.", DefaultValueFactory = _ => 1f };
        var hidden = OptionFactory.Int("--hidden", "Units of a hidden ReLU layer in the head (0: Flatten then Dense to the classes).", 0, min: 0);
        var epochs = OptionFactory.Int("--epochs", "Passes over the training images, for every model.", 20);
        var batch = OptionFactory.Int("--batch", "Images per optimisation step.", 32);
        var optimizer = new Option<OptimizerKind>("--optimizer") { Description = OptimizerHelp.Optimizer, DefaultValueFactory = _ => OptimizerKind.Adam };
        var learningRate = new Option<float?>("--lr") { Description = OptimizerHelp.LearningRate(TransferOptions.DefaultSgdLearningRate) };
        var seed = OptionFactory.Int("--seed", "Seed of the split, initialisation and shuffling.", 0, min: 0);
        var test = new Option<double>("--test") { Description = "Fraction of each class held out for testing.", DefaultValueFactory = _ => 0.2 };
        var scratchSize = new Option<string?>("--scratch-size") { Description = "Image size H,W of the from-scratch models (default: the .npy's size, or 32,32 for a folder)." };
        var fineTune = OptionFactory.Int("--fine-tune-last", "Also fine-tune the backbone's last N layers holding weights together with the head (0: no).", 0, min: 0);
        var fineTuneLr = new Option<float?>("--fine-tune-lr") { Description = "Learning rate of fine-tuning (default: --lr / 10)." };
        var threads = OptionFactory.Int("--threads", "The most threads the kernels use (0: one per core).", 0, min: 0);
        var output = new Option<string>("--out") { Description = "Where to save the trained head; the feature cache is written next to it.", DefaultValueFactory = _ => "transfer-head.cvm" };
        var combined = new Option<string?>("--combined-out") { Description = "Also save preprocessing, backbone and head as one model here (fine-tuned when --fine-tune-last is given)." };
        var command = new Command("transfer", "Transfer learning: a pre-trained network's features with a new head, against models trained from scratch.")
        {
            backbone, preprocess, cutAfter, data, labels, inputShape, pixelScale, hidden, epochs, batch, optimizer, learningRate, seed, test, scratchSize,
            fineTune, fineTuneLr, threads, output, combined,
        };
        command.SetAction(result => TrainingDiagnosticsView.Guard(terminal, () => Run(terminal, new Settings(result.GetValue(backbone)!, result.GetValue(preprocess), result.GetValue(cutAfter), result.GetValue(data)!,
            result.GetValue(labels), result.GetValue(inputShape), result.GetValue(pixelScale), result.GetValue(hidden), result.GetValue(epochs),
            result.GetValue(batch), result.GetValue(optimizer), result.GetValue(learningRate), result.GetValue(seed), result.GetValue(test),
            result.GetValue(scratchSize), result.GetValue(fineTune), result.GetValue(fineTuneLr), result.GetValue(threads), result.GetValue(output)!,
            result.GetValue(combined)), result.InvocationConfiguration.Error)));
        return command;
    }

    internal sealed record Settings(string Backbone, string? Preprocess, int? CutAfter, string Data, string? Labels, string? InputShape, float PixelScale,
        int Hidden, int Epochs, int Batch, OptimizerKind Optimizer, float? LearningRate, int Seed, double Test, string? ScratchSize,
        int FineTuneLast, float? FineTuneLearningRate, int Threads, string Output, string? CombinedOutput);

    internal static int Run(Terminal terminal, Settings s, TextWriter? error = null)
    {
        if (!(s.Test > 0 && s.Test < 1)) throw new ArgumentException($"--test must be between 0 and 1, got {s.Test.ToString(CultureInfo.InvariantCulture)}.");
        if (!(s.PixelScale > 0) || float.IsInfinity(s.PixelScale)) throw new ArgumentException($"--pixel-scale must be a positive number, got {s.PixelScale.ToString(CultureInfo.InvariantCulture)}.");
        if (!s.Output.EndsWith(".cvm", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException($"--out {s.Output}: the head is saved as a Convolve model; give a file name ending in .cvm.");
        TrainingDiagnosticsView.Validate(new OptimizerSettings(s.Optimizer, s.LearningRate ?? 1));
        if (s.FineTuneLearningRate is { } fineTuneRate) TrainingDiagnosticsView.Validate(new OptimizerSettings(s.Optimizer, fineTuneRate), "--fine-tune-lr");
        // The head, the feature cache beside it and the combined model: checked before the backbone runs.
        OutputPaths.CheckFile("--out", s.Output, example: "transfer-head.cvm");
        if (s.CombinedOutput is not null)
        {
            OutputPaths.CheckFile("--combined-out", s.CombinedOutput, example: "combined.cvm");
            OutputPaths.CheckDistinct("--combined-out", s.CombinedOutput, "--out", s.Output);
        }
        var total = Stopwatch.StartNew();

        // The network: optional preprocessing, then the backbone, as one frozen model.
        var (network, description) = LoadNetwork(s, warning => Warnings.Write(error ?? Console.Error, terminal, warning));
        network.SetMaxThreads(s.Threads);
        var backboneShape = network.InputShape;
        var featureShape = network.GetOutputShape(backboneShape.Prepend(1)).ItemShape;
        long backboneParameters = network.Parameters.Sum(p => (long)p.Value.Length);
        terminal.Text($"Backbone: {Path.GetFileName(s.Backbone)}{(s.CutAfter is { } n ? $" (first {Terminal.Plural(n, "layer")})" : "")}{(s.Preprocess is null ? "" : $" after {Path.GetFileName(s.Preprocess)}")}: " +
            $"input {backboneShape}, features {featureShape}, {Terminal.Count(backboneParameters)} parameters (frozen), {network.Layers.Count} layers");

        int withWeights = ModelParts.CountLayersWithParameters(network);
        if (s.FineTuneLast > withWeights)
            throw new ArgumentException($"--fine-tune-last {s.FineTuneLast}: the backbone has only {withWeights} layer{(withWeights == 1 ? "" : "s")} holding weights.");

        // The images, at their own size for the from-scratch models and at the backbone's size.
        var (raw, backboneImages, source) = LoadImages(s, backboneShape);
        if (raw.ClassCount < 2 || raw.Labels.Distinct().Count() < 2)
            throw new ArgumentException($"--data {s.Data}: all {raw.Count} images are of one class ({raw.ClassNames[raw.Labels[0]]}); a classifier needs at least two.");
        var inputs = BackboneInput.Fit(backboneImages, backboneShape, s.PixelScale);
        var (trainIndices, testIndices) = DatasetSplit.TrainValidationIndices(raw.Labels, raw.ClassCount, s.Test, s.Seed);
        var counts = string.Join(", ", Enumerable.Range(0, raw.ClassCount).Select(c => $"{raw.Labels.Count(l => l == c)} {raw.ClassNames[c]}"));
        terminal.Text($"Data: {source}: {Terminal.Count(raw.Count)} images ({counts}), {raw.ImageShape.ToImageString()}; " +
            $"{trainIndices.Length} to train, {testIndices.Length} held out ({s.Test * 100:0.#}% of each class, seed {s.Seed})");

        // Features: computed once, cached next to the output.
        string directory = Path.GetDirectoryName(Path.GetFullPath(s.Output))!;
        string stem = Path.GetFileNameWithoutExtension(s.Output);
        var cached = ComputeFeatures(terminal, network, inputs, directory, stem, description, "features");
        var features = AsImages(cached.Features, raw);

        float lr = s.LearningRate ?? TransferOptions.DefaultLearningRate(s.Optimizer);
        var options = new TransferOptions(s.Epochs, s.Batch, s.Seed, new OptimizerSettings(s.Optimizer, lr), s.Hidden);
        terminal.Text($"Training: {Terminal.Plural(s.Epochs, "epoch")}, batch {s.Batch}, {options.OptimizerOrDefault}, seed {s.Seed}, the same for every model");
        var results = new List<TransferResult>();

        var head = TransferLearning.CreateHead(features.ImageShape, raw.ClassCount, s.Hidden, s.Seed);
        head.SetMaxThreads(s.Threads);
        var transfer = TransferLearning.TrainAndTest("frozen backbone + head", $"{Terminal.Count(featureShape.Size)} features",
            head, features.Subset(trainIndices), features.Subset(testIndices), options.Training(), backboneParameters);
        results.Add(transfer);

        var rawTrain = raw.Subset(trainIndices);
        var rawTest = raw.Subset(testIndices);
        string pixels = $"{raw.ImageShape.ToImageString()} pixels";
        var scratchHead = TransferLearning.CreateHead(raw.ImageShape, raw.ClassCount, s.Hidden, s.Seed);
        scratchHead.SetMaxThreads(s.Threads);
        results.Add(TransferLearning.TrainAndTest("head alone, from scratch", pixels, scratchHead, rawTrain, rawTest, options.Training()));
        var cnn = Architectures.Seed(raw.ImageShape[0], raw.ClassCount);
        cnn.Build(raw.ImageShape, s.Seed);
        cnn.SetMaxThreads(s.Threads);
        results.Add(TransferLearning.TrainAndTest("seed CNN, from scratch", pixels, cnn, rawTrain, rawTest, options.Training()));

        Sequential finalHead = head;
        if (s.FineTuneLast > 0)
        {
            var parts = TransferLearning.Cut(network, s.FineTuneLast);
            ImageDataset backInputs;
            long frontParameters = 0;
            if (parts.Front is null) backInputs = new ImageDataset(inputs.Reshape(BackboneInput.AsImageShape(backboneShape).Prepend(raw.Count)), raw.Labels, raw.ClassNames);
            else
            {
                var front = ComputeFeatures(terminal, parts.Front, inputs, directory, stem, description, $"layer {parts.FrontLayers} outputs");
                backInputs = AsImages(front.Features, raw);
                frontParameters = parts.Front.Parameters.Sum(p => (long)p.Value.Length);
            }
            float fineLr = s.FineTuneLearningRate ?? lr / 10;
            string once = parts.FrontLayers > 0 ? $"layers 1 to {parts.FrontLayers} of {network.Layers.Count} run once" : "the whole backbone runs at every step";
            string statistics = parts.Back.Layers.Any(l => l is Layers.BatchNorm2D) ? "; batch normalisation keeps its pre-trained statistics" : "";
            terminal.Text($"Fine-tuning: the backbone's last {Terminal.Plural(s.FineTuneLast, "layer")} holding weights and a copy of the trained head, " +
                $"learning rate {fineLr.ToString("G3", CultureInfo.InvariantCulture)}; {once}{statistics}");
            var fineTuned = TransferLearning.FineTune(parts, s.FineTuneLast, head, backInputs.Subset(trainIndices), backInputs.Subset(testIndices),
                options.Training(options.OptimizerOrDefault with { LearningRate = fineLr }), frontParameters,
                r => terminal.Text(string.Create(CultureInfo.InvariantCulture, $"  epoch {r.Epoch}/{s.Epochs}: loss {r.TrainLoss:F4}, training accuracy {r.TrainAccuracy * 100:F1}% ({r.Seconds:F1} s)")));
            results.Add(fineTuned);
            finalHead = (Sequential)((BodyWithHead)fineTuned.Model).Head;
        }

        PrintTable(terminal, results);

        var metadata = new Dictionary<string, string>
        {
            ["transfer-backbone"] = Path.GetFileName(s.Backbone),
            ["transfer-preprocess"] = s.Preprocess is null ? "" : Path.GetFileName(s.Preprocess),
            ["transfer-pixel-scale"] = s.PixelScale.ToString(CultureInfo.InvariantCulture),
            ["data"] = s.Data,
            ["classes"] = string.Join("\n", raw.ClassNames),
            ["held-out-accuracy"] = transfer.Accuracy.ToString("F4", CultureInfo.InvariantCulture),
        };
        ModelFile.Save(head, s.Output, new ModelFileExtras(metadata, new Dictionary<string, Tensor>()));
        terminal.Text($"Head saved: {s.Output} (takes {head.InputShape} backbone features)");
        if (s.CombinedOutput is not null)
        {
            var joined = ModelParts.Concatenate(network, TransferLearning.CopyHead(finalHead, featureShape));
            // predict and evaluate read this to scale images as the backbone saw them here.
            joined.Preparation = BackboneInput.Preparation(backboneShape, s.PixelScale, inputs);
            ModelFile.Save(joined, s.CombinedOutput, new ModelFileExtras(metadata, new Dictionary<string, Tensor>()));
            terminal.Text($"Combined model saved: {s.CombinedOutput} (takes {joined.InputShape} inputs scaled by {s.PixelScale.ToString(CultureInfo.InvariantCulture)}" +
                $"{(s.FineTuneLast > 0 ? ", fine-tuned" : "")})" +
                (joined.Preparation is null ? "" : "; the file says so, and predict and evaluate prepare images that way"));
        }
        terminal.Text($"{total.Elapsed.TotalSeconds:F1} s in all");
        return ConvolveApp.Success;
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
                throw new ArgumentException($"--cut-after {keep}: the backbone cannot be cut there (inside a block); the last cut points are {string.Join(", ", cuts.TakeLast(8))}.");
            backbone = ModelParts.Split(backbone, keep).Front;
        }
        string description = $"backbone {FileHash(s.Backbone)}\npreprocess {(s.Preprocess is null ? "none" : FileHash(s.Preprocess))}";
        if (pre is null) return (backbone, description);
        if (backbone.InputShape != pre.GetOutputShape(pre.InputShape.Prepend(1)).ItemShape)
            throw new ArgumentException($"--preprocess {s.Preprocess} outputs items of {pre.GetOutputShape(pre.InputShape.Prepend(1)).ItemShape}, but --backbone {s.Backbone} takes {backbone.InputShape}.");
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
    private static (ImageDataset Raw, Tensor ForBackbone, string Source) LoadImages(Settings s, Shape backboneShape)
    {
        int[]? scratch = s.ScratchSize is null ? null : ParseSize(s.ScratchSize);
        if (File.Exists(s.Data))
        {
            if (!s.Data.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--data {s.Data}: a file must be a NumPy .npy array of images; otherwise give a folder with one sub-folder of images per class.");
            var images = NpyImages.ToImages(Npy.Read(s.Data), s.Data);
            int n = images.Shape[0];
            var (labels, classNames) = s.Labels is null
                ? NpyImages.KnownLabels(s.Data, n) ?? throw new ArgumentException($"--data {s.Data}: say which class each of its {n} images is with --labels (a .npy file of class numbers, or runs such as face:100,non-face:100).")
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
            throw new ArgumentException($"--data {s.Data}: has train/ and test/ sub-folders; transfer splits one folder of classes itself (--test): give {Path.Combine(s.Data, "train")}.");
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

    private static CachedFeatures ComputeFeatures(Terminal terminal, Model model, Tensor inputs, string directory, string stem, string description, string what)
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
