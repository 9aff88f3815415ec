using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Onnx.Tests;

/// <summary>Models and inputs for the export and import tests.</summary>
public static class TestModels
{
    /// <summary>
    /// The names of the models <see cref="Create"/> makes: every built-in architecture, two that
    /// use every exportable layer kind, and a ResNet-style graph.
    /// </summary>
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var a in Architectures.All) data.Add(a.Name);
        data.Add("every-layer");
        data.Add("every-layer-2");
        data.Add("resnet-graph");
        data.Add("new-layers");
        data.Add("reduce-layers");
        data.Add("activation-layers");
        data.Add("unary-math-layers");
        data.Add("min-max-layers");
        data.Add("conv-transpose-layers");
        data.Add("resize-layers");
        data.Add("tile-gather-layers");
        data.Add("norm-layers");
        return data;
    }

    /// <summary>
    /// The model called <paramref name="name"/>, built with random weights, and with biases and
    /// batch-norm statistics drawn too (Build leaves biases at zero, which would hide a bias
    /// exported to the wrong place).
    /// </summary>
    public static Model Create(string name)
    {
        Model model;
        if (Architectures.Find(name) is { } architecture) model = architecture.Build(seed: 3);
        else
        {
            (model, var itemShape) = name switch
            {
                "every-layer" => ((Model)EveryLayer(), new Shape(3, 13, 11)),
                "every-layer-2" => (EveryLayer2(), new Shape(2, 9, 10)),
                "resnet-graph" => ((Model)ResNetGraph(), new Shape(3, 10, 9)),
                "new-layers" => (NewLayers(), new Shape(3, 6, 5)),
                "reduce-layers" => (ReduceLayers(), new Shape(3, 6, 5)),
                "activation-layers" => (ActivationLayers(), new Shape(3, 6, 5)),
                "unary-math-layers" => (UnaryMathLayers(), new Shape(3, 6, 5)),
                "min-max-layers" => (MinMaxLayers(), new Shape(3, 6, 5)),
                "conv-transpose-layers" => (ConvTransposeLayers(), new Shape(3, 6, 5)),
                "resize-layers" => (ResizeLayers(), new Shape(3, 6, 5)),
                "tile-gather-layers" => (TileGatherLayers(), new Shape(3, 6, 5)),
                "norm-layers" => (NormLayers(), new Shape(3, 6, 5)),
                _ => throw new ArgumentException($"no test model '{name}'"),
            };
            model.Build(itemShape, seed: 3);
        }
        var random = new Random(17);
        foreach (var (key, p) in model.NamedParameters)
        {
            if (key.EndsWith(".bias") || key.EndsWith(".running_mean"))
                foreach (ref float v in p.Value.Span) v = (float)(random.NextDouble() - 0.5);
            else if (key.EndsWith(".running_var") || (key.StartsWith("batchnorm2d") && key.EndsWith(".weight")))
                foreach (ref float v in p.Value.Span) v = (float)(0.5 + random.NextDouble());
            else if (key.StartsWith("prelu"))
                foreach (ref float v in p.Value.Span) v = (float)random.NextDouble();
            else if (key.StartsWith("instancenorm2d") && key.EndsWith(".weight"))
                foreach (ref float v in p.Value.Span) v = (float)(0.5 + random.NextDouble());
        }
        return model;
    }

    /// <summary>
    /// Every layer kind with non-default options: asymmetric padding, stride and dilation per
    /// axis, groups, "same" padding, max and average pooling in ceil mode with and without
    /// counting padding, every activation, dropout, batch norm, global pooling kept 4-D.
    /// </summary>
    private static Sequential EveryLayer() => new(
        new Conv2D(new Conv2DConfig(3, 8, 3, 3, StrideH: 1, StrideW: 2, Padding: new Padding(1, 0, 2, 1), DilationH: 2, DilationW: 1)),
        new BatchNorm2D(8, epsilon: 1e-3f, momentum: 0.2f),
        new LeakyReLU(0.2f),
        new Conv2D(8, 8, kernelSize: 3, padding: Padding.Same, groups: 4),
        new MaxPool2D(3, stride: 2, padding: 1, ceilMode: true),
        new Tanh(),
        new Conv2D(8, 6, kernelSize: 1, bias: false),
        new AvgPool2D(3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false),
        new Sigmoid(),
        new AvgPool2D(2, stride: 1, padding: 1, countIncludePad: true),
        new ReLU(),
        new Dropout(0.3f),
        new GlobalAvgPool2D(keepDims: true),
        new Flatten(),
        new Dense(5),
        new Softmax());

    /// <summary>
    /// The rest: depthwise convolution with stride 2 and "same" padding, dilated max pooling,
    /// softmax over channels of a 4-D tensor, global pooling to [N, C], a dense layer without bias.
    /// </summary>
    private static Sequential EveryLayer2() => new(
        new Conv2D(2, 4, kernelSize: 3, stride: 2, padding: Padding.Same, groups: 2),
        new MaxPool2D(new MaxPool2DConfig(2, 2, 1, 1, DilationH: 2, DilationW: 2)),
        new Softmax(axis: 1),
        new GlobalAvgPool2D(),
        new Dense(3, bias: false),
        new Sigmoid());

    /// <summary>
    /// A small ResNet-style graph: a stem (conv, batch norm, ReLU); a residual block (two conv +
    /// batch norm, the identity shortcut added before the ReLU); a downsampling block whose two
    /// branches (1x1 and 3x3 convolutions, stride 2) are concatenated and summed with two pooled
    /// shortcuts (a three-input Add); global pooling, dense (logits, so that ONNX Runtime's
    /// outputs are compared before anything squashes them).
    /// </summary>
    private static Graph ResNetGraph()
    {
        var g = new Graph();
        var x = g.Apply(new ReLU(), g.Apply(new BatchNorm2D(8), g.Apply(new Conv2D(3, 8, kernelSize: 3, padding: 1), g.Input)));
        var y = g.Apply(new ReLU(), g.Apply(new BatchNorm2D(8), g.Apply(new Conv2D(8, 8, kernelSize: 3, padding: 1, bias: false), x)));
        y = g.Apply(new BatchNorm2D(8), g.Apply(new Conv2D(8, 8, kernelSize: 3, padding: 1, bias: false), y));
        x = g.Apply(new ReLU(), g.Apply(new Add(), x, y));
        var narrow = g.Apply(new Conv2D(8, 4, kernelSize: 1, stride: 2), x);
        var wide = g.Apply(new Conv2D(8, 4, kernelSize: 3, stride: 2, padding: 1), x);
        var joined = g.Apply(new ReLU(), g.Apply(new Concat(), narrow, wide));
        var maxed = g.Apply(new MaxPool2D(3, stride: 2, padding: 1), x);
        var averaged = g.Apply(new AvgPool2D(3, stride: 2, padding: 1), x);
        x = g.Apply(new Add(), joined, maxed, averaged);
        g.Apply(new Dense(5), g.Apply(new GlobalAvgPool2D(), x));
        return g;
    }

    /// <summary>
    /// The element-wise and shape layers: Pad in every mode (reflect before a convolution, edge,
    /// constant with a value), Clip, HardSigmoid, HardSwish, constants on either side of each
    /// operation, Transpose, Slice, broadcasting Multiply, Divide and Subtract merges, Concat along
    /// the height, Reshape; then dense logits.
    /// </summary>
    private static Graph NewLayers()
    {
        var random = new Random(23);
        Tensor Constant(float low, float high, params int[] dims)
        {
            var t = new Tensor(new Shape(dims));
            foreach (ref float v in t.Span) v = (float)(low + (high - low) * random.NextDouble());
            return t;
        }
        var g = new Graph();
        var x = g.Apply(new Conv2D(3, 4, kernelSize: 3), g.Apply(new Pad([0, 1, 2, 0, 1, 0], PadMode.Reflect), g.Input));
        var gate = g.Apply(new Multiply(), g.Apply(new Clip(-0.5f, 0.8f), x), g.Apply(new HardSigmoid(0.3f, 0.4f), x));
        x = g.Apply(new HardSwish(), gate);
        x = g.Apply(new ElementwiseConstant(BinaryOperation.Subtract, Constant(-1, 1, 4, 1, 1), constantOnLeft: true), x);
        x = g.Apply(new ElementwiseConstant(BinaryOperation.Divide, Constant(1, 2, 5)), x);
        x = g.Apply(new ElementwiseConstant(BinaryOperation.Multiply, Constant(-1, 1, 6, 5)), x);
        x = g.Apply(new ElementwiseConstant(BinaryOperation.Add, Constant(-1, 1, 1)), x);
        x = g.Apply(new Transpose(0, 1, 3, 2), x);                                     // [4, 5, 6]
        var one = g.Apply(new Slice(1, 0, 1), x);                                       // [1, 5, 6]
        var rest = g.Apply(new Slice(1, 1), x);                                         // [3, 5, 6]
        var denominator = g.Apply(new ElementwiseConstant(BinaryOperation.Add, Constant(2, 2, 1)), g.Apply(new Sigmoid(), one));
        var quotient = g.Apply(new Divide(), rest, denominator);
        var difference = g.Apply(new Subtract(), quotient,
            g.Apply(new ElementwiseConstant(BinaryOperation.Divide, Constant(1, 2, 1), constantOnLeft: true), denominator));
        x = g.Apply(new Concat(axis: 2), quotient, difference);                        // [3, 10, 6]
        x = g.Apply(new Reshape(0, -1), x);                                             // [3, 60]
        x = g.Apply(new Pad([0, 2, 0, 1], PadMode.Constant, 0.5f), x);                  // [3, 63]
        x = g.Apply(new Pad([1, 0, 1, 0], PadMode.Edge), x);                            // [5, 63]
        g.Apply(new Dense(5), g.Apply(new Flatten(), x));
        return g;
    }

    /// <summary>Every reduction: a squeeze-and-excitation gate (mean over H and W), and max, sum, L2 and min over other axes.</summary>
    private static Graph ReduceLayers()
    {
        var g = new Graph();
        var x = g.Apply(new Conv2D(3, 4, kernelSize: 3, padding: 1), g.Input);                     // [4, 6, 5]
        var squeezed = g.Apply(new Reduce(Kernels.ReduceKind.Mean, [2, 3]), x);                    // [4, 1, 1]
        x = g.Apply(new Multiply(), x, g.Apply(new Sigmoid(), squeezed));
        var channels = g.Apply(new Reduce(Kernels.ReduceKind.Max, [1]), x);                         // [1, 6, 5]
        var rows = g.Apply(new Reduce(Kernels.ReduceKind.Sum, [-1], keepDims: false), x);           // [4, 6]
        var norms = g.Apply(new Reduce(Kernels.ReduceKind.L2, [1, 3], keepDims: false), x);         // [6]
        var low = g.Apply(new Reduce(Kernels.ReduceKind.Min, [2, 3], keepDims: false), x);          // [4]
        var all = g.Apply(new Concat(axis: 1), g.Apply(new Flatten(), channels), g.Apply(new Flatten(), rows), norms, low); // [64]
        g.Apply(new Dense(5), all);
        return g;
    }

    /// <summary>
    /// The activations of real CNNs: PReLU per channel and with one slope, ELU, SELU, CELU, Softplus,
    /// Softsign, ThresholdedReLU, and GELU, Mish and SiLU, which export as their opset-13
    /// decompositions and must import back as one layer each.
    /// </summary>
    private static Sequential ActivationLayers() => new(
        new Conv2D(3, 4, kernelSize: 3, padding: 1), new PReLU([4, 1, 1]), new ELU(0.5f),
        new Conv2D(4, 4, kernelSize: 3, padding: 1), new SELU(), new CELU(2), new GELU(), new Softsign(),
        new Conv2D(4, 4, kernelSize: 3, padding: 1), new Mish(), new SiLU(), new ThresholdedReLU(0.05f), new Softplus(),
        new Flatten(), new Dense(6), new PReLU());

    /// <summary>
    /// Every element-wise function of <see cref="UnaryMath"/>, chained so that each stays in its
    /// domain (Sqrt of a power of |x|, Log of the reciprocal of an exponential), and a LogSoftmax head.
    /// </summary>
    private static Sequential UnaryMathLayers() => new(
        new Conv2D(3, 4, kernelSize: 3, padding: 1),
        new UnaryMath(Kernels.UnaryMathKind.Abs), new UnaryMath(Kernels.UnaryMathKind.Pow, 1.5f), new UnaryMath(Kernels.UnaryMathKind.Sqrt),
        new UnaryMath(Kernels.UnaryMathKind.Neg), new UnaryMath(Kernels.UnaryMathKind.Exp), new UnaryMath(Kernels.UnaryMathKind.Reciprocal),
        new UnaryMath(Kernels.UnaryMathKind.Log), new UnaryMath(Kernels.UnaryMathKind.Erf), new UnaryMath(Kernels.UnaryMathKind.Pow, 2),
        new Flatten(), new Dense(5), new LogSoftmax());

    /// <summary>Min and Max of two computed values (broadcasting a per-channel one) and of a value and constants on either side.</summary>
    private static Graph MinMaxLayers()
    {
        var g = new Graph();
        var x = g.Apply(new Conv2D(3, 4, kernelSize: 3, padding: 1), g.Input);                      // [4, 6, 5]
        var y = g.Apply(new Conv2D(3, 4, kernelSize: 3, padding: 1), g.Input);                      // [4, 6, 5]
        var channels = g.Apply(new Reduce(Kernels.ReduceKind.Mean, [2, 3]), y);                     // [4, 1, 1]
        var low = g.Apply(new Minimum(), x, channels);                                               // [4, 6, 5]
        var high = g.Apply(new Maximum(), y, x);                                                     // [4, 6, 5]
        var floor = g.Apply(new ElementwiseConstant(BinaryOperation.Max, Tensor.FromArray([-0.1f, 0, 0.1f, 0.2f], 4, 1, 1)), low);
        var cap = g.Apply(new ElementwiseConstant(BinaryOperation.Min, Tensor.FromArray([0.3f], 1), constantOnLeft: true), high);
        g.Apply(new Dense(5), g.Apply(new Flatten(), g.Apply(new Add(), floor, cap)));
        return g;
    }

    /// <summary>
    /// A small decoder: Conv, ReLU, then transposed convolutions upsampling by 2 (DCGAN's 4x4 with
    /// padding 1), with output padding, asymmetric pads, groups, dilation and no bias, and a 1x1 one.
    /// </summary>
    private static Sequential ConvTransposeLayers() => new(
        new Conv2D(3, 8, kernelSize: 3, padding: 1), new ReLU(),                                    // [8, 6, 5]
        new ConvTranspose2D(8, 4, kernelSize: 4, stride: 2, padding: 1), new ReLU(),                // [4, 12, 10]
        new ConvTranspose2D(new ConvTranspose2DConfig(4, 6, 3, 2, 2, 1, new Padding(1, 0, 2, 1), 1, 0, 1, 2, Groups: 2, Bias: false)),
        new Tanh(),                                                                                 // [6, 23, 11]
        new ConvTranspose2D(6, 2, kernelSize: 1),                                                   // [2, 23, 11]
        new Flatten(), new Dense(5));

    /// <summary>
    /// Conv -> nearest x2 -> Conv beside bilinear resizes (by scales, and to a fixed size, which
    /// exports through Shape -> Slice -> Concat), nearest with other roundings, and a shrink.
    /// </summary>
    private static Graph ResizeLayers()
    {
        var g = new Graph();
        var x = g.Apply(new Conv2D(3, 4, kernelSize: 3, padding: 1), g.Input);                                          // [4, 6, 5]
        var up = g.Apply(new Conv2D(4, 4, kernelSize: 3, padding: 1), g.Apply(new Resize(2, 2), x));                    // [4, 12, 10]
        var linear = g.Apply(new Resize(2, 2, ResizeInterpolation.Linear), x);                                        // [4, 12, 10]
        var corners = g.Apply(Resize.ToSize(12, 10, ResizeInterpolation.Linear, ResizeCoordinates.AlignCorners), x);   // [4, 12, 10]
        var ceil = g.Apply(Resize.ToSize(12, 10, ResizeInterpolation.Nearest, ResizeCoordinates.TfHalfPixelForNN, ResizeRounding.RoundPreferCeil), x);
        var sum = g.Apply(new Add(), g.Apply(new Add(), up, linear), g.Apply(new Add(), corners, ceil));
        var odd = g.Apply(new Resize(1.5f, 1.5f, ResizeInterpolation.Linear, ResizeCoordinates.PytorchHalfPixel), sum); // [4, 18, 15]
        var shrunk = g.Apply(new Resize(0.4f, 0.5f, ResizeInterpolation.Nearest, ResizeCoordinates.Asymmetric, ResizeRounding.Floor), odd); // [4, 7, 7]
        g.Apply(new Dense(5), g.Apply(new Flatten(), shrunk));
        return g;
    }

    /// <summary>
    /// Tile of H and W, Gather with a scalar index (the axis dropped), a vector with a repeat and a
    /// negative index, and 2-D indices, and Min and Max of three and four values, broadcasting.
    /// </summary>
    private static Graph TileGatherLayers()
    {
        var g = new Graph();
        var x = g.Apply(new Conv2D(3, 4, kernelSize: 3, padding: 1), g.Input);                      // [4, 6, 5]
        var y = g.Apply(new Conv2D(3, 4, kernelSize: 3, padding: 1), g.Input);                      // [4, 6, 5]
        var tiled = g.Apply(new Tile(1, 1, 2, 3), x);                                               // [4, 12, 15]
        var rows = g.Apply(new Gather(2, [0, 11, -1, 3, 5, 7], [2, 3]), tiled);                     // [4, 2, 3, 15]
        var channel = g.Apply(new Gather(1, [2], []), y);                                           // [6, 5]
        var columns = g.Apply(new Gather(-1, [4, 0, 4, -2]), channel);                             // [6, 4]
        var means = g.Apply(new Reduce(Kernels.ReduceKind.Mean, [2, 3]), y);                       // [4, 1, 1]
        var low = g.Apply(new Minimum(), x, y, means);                                              // [4, 6, 5]
        var high = g.Apply(new Maximum(), low, y, g.Apply(new Tile(1, 1, 1, 5), g.Apply(new Reduce(Kernels.ReduceKind.Max, [3]), x)), means);
        var all = g.Apply(new Concat(axis: 1), g.Apply(new Flatten(), rows), g.Apply(new Flatten(), columns), g.Apply(new Flatten(), high));
        g.Apply(new Dense(5), all);
        return g;
    }

    /// <summary>
    /// Instance normalisation of images and of [C, L] rows (a reshape between), and local response
    /// normalisation with ONNX's defaults, with a window wider than the channels, and with a large alpha
    /// and another beta (odd sizes on images: ONNX Runtime refuses even sizes and other ranks).
    /// </summary>
    private static Sequential NormLayers() => new(
        new Conv2D(3, 6, kernelSize: 3, padding: 1), new InstanceNorm2D(6), new ReLU(), new LocalResponseNorm(5),
        new Conv2D(6, 4, kernelSize: 3, padding: 1), new LocalResponseNorm(7, alpha: 0.5f, beta: 0.6f, bias: 2),
        new LocalResponseNorm(3, alpha: 1), new Reshape(0, -1), new InstanceNorm2D(4, epsilon: 1e-3f),
        new Flatten(), new Dense(5));

    /// <summary>A batch of <paramref name="batch"/> items of the model's input shape, uniform in [-1, 1).</summary>
    public static Tensor RandomInput(Model model, int batch, int seed)
    {
        var input = new Tensor(model.InputShape.Prepend(batch));
        var random = new Random(seed);
        foreach (ref float v in input.Span) v = (float)(2 * random.NextDouble() - 1);
        return input;
    }

    /// <summary>Convolve's output for <paramref name="input"/>, copied (the model owns its output buffer).</summary>
    public static Tensor Forward(Model model, Tensor input) => model.Forward(input).Clone();
}
