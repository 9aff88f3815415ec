using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Onnx;

/// <summary>
/// Maps single ONNX nodes to Convolve layers holding the node's weights. The importer calls it
/// for each node that computes on one value (it maps merges and Split itself); the conformance
/// suite's node runner uses the same mappings. A node whose operator or attribute values Convolve
/// cannot express is refused with an <see cref="OnnxImportException"/> that names it and says why.
/// </summary>
public static partial class OnnxLayers
{
    /// <summary>
    /// The operators <see cref="Create"/> maps, each computing on one value of the graph (Add, Sub,
    /// Mul and Div with one constant operand; MatMul with a following Add is one Dense).
    /// </summary>
    public static IReadOnlyList<string> Operators { get; } =
    [
        "Conv", "BatchNormalization", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid", "HardSwish",
        "MaxPool", "AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Pad",
        "Slice", "Gemm", "MatMul", "Softmax", "Identity", "Dropout", "Add", "Sub", "Mul", "Div",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL2", "GlobalMaxPool",
    ];

    /// <summary>
    /// Operators of several values the importer maps itself: merge layers when all inputs are
    /// computed values (Add and Sum to Add; Sub, Mul and Div to Subtract, Multiply and Divide, all
    /// broadcasting; Concat to Concat), and Split to one Slice per output.
    /// </summary>
    public static IReadOnlyList<string> MultiValueOperators { get; } = ["Add", "Sum", "Sub", "Mul", "Div", "Concat", "Split"];

    /// <summary>Every operator the importer reads, for messages.</summary>
    public static IReadOnlyList<string> AllOperators { get; } = [.. Operators.Concat(MultiValueOperators).Distinct(), "Constant"];

    /// <summary>
    /// The layer for <paramref name="node"/> applied to inputs of <paramref name="inputShape"/>
    /// (batch first), or null for a node that passes its input through (Identity). The layer's
    /// parameters hold the node's weights; it is not built.
    /// </summary>
    public static Layer? Create(OnnxNode node, Shape inputShape)
    {
        if (node.Proto.Domain is not ("" or "ai.onnx"))
            throw node.Refuse($"operator domain '{node.Proto.Domain}' is not the standard ONNX operator set");
        return node.OpType switch
        {
            "Conv" => Conv(node, inputShape),
            "BatchNormalization" => BatchNormalization(node, inputShape),
            "Relu" => new ReLU(),
            "LeakyRelu" => new LeakyReLU(node.Proto.GetFloat("alpha", 0.01f)),
            "Sigmoid" => new Sigmoid(),
            "Tanh" => new Tanh(),
            "Clip" => Clip(node),
            "HardSigmoid" => new HardSigmoid(node.Proto.GetFloat("alpha", 0.2f), node.Proto.GetFloat("beta", 0.5f)),
            "HardSwish" => new HardSwish(),
            "MaxPool" => MaxPool(node, inputShape),
            "AveragePool" => AveragePool(node, inputShape),
            "GlobalAveragePool" => GlobalAveragePool(node, inputShape),
            "Flatten" => Flatten(node, inputShape),
            "Reshape" => Reshape(node, inputShape),
            "Transpose" => Transpose(node, inputShape),
            "Squeeze" or "Unsqueeze" => SqueezeOrUnsqueeze(node, inputShape),
            "Pad" => Pad(node, inputShape),
            "Slice" => Slice(node, inputShape),
            "Gemm" => Gemm(node, inputShape),
            "MatMul" => MatMul(node, inputShape, bias: null),
            "Softmax" => Softmax(node, inputShape),
            "Identity" => null,
            "Dropout" => Dropout(node),
            "Add" or "Sub" or "Mul" or "Div" => ElementwiseConstant(node, inputShape),
            "ReduceMean" or "ReduceSum" or "ReduceMax" or "ReduceMin" or "ReduceL2" => Reduction(node, inputShape),
            "GlobalMaxPool" => GlobalMaxPool(node, inputShape),
            _ => throw node.Refuse($"operator {node.OpType} has no Convolve layer (Convolve imports {string.Join(", ", AllOperators)})"),
        };
    }

    // ---- Convolution and pooling ----------------------------------------------------------

    /// <summary>
    /// The spatial options Conv and the pools share, as 2-D values. ONNX's pads are
    /// [x1_begin, x2_begin, x1_end, x2_end], i.e. [top, left, bottom, right].
    /// </summary>
    /// <param name="weightKernel">The kernel size from the weight (Conv), or null where kernel_shape is required (pools).</param>
    /// <param name="padded">Zero padding of a Pad node before this one, folded into this node's padding.</param>
    public static (int KH, int KW, int SH, int SW, int DH, int DW, Padding Padding) Window(OnnxNode node, Shape inputShape, (int H, int W)? weightKernel,
        Padding padded = default)
    {
        if (inputShape.Rank != 4)
            throw node.Refuse($"{inputShape.Rank - 2} spatial dimension(s) (input {node.Show(inputShape)}); Convolve has 2-D convolution and pooling only");
        var n = node.Proto;
        var kernel = n.GetInts("kernel_shape")
            ?? (weightKernel is { } k ? [k.H, k.W] : throw new OnnxFormatException($"{node.Where}: the required attribute kernel_shape is missing."));
        var strides = n.GetInts("strides") ?? [1, 1];
        var dilations = n.GetInts("dilations") ?? [1, 1];
        var pads = n.GetInts("pads") ?? [0, 0, 0, 0];
        RequireLength(node, "kernel_shape", kernel, 2);
        RequireLength(node, "strides", strides, 2);
        RequireLength(node, "dilations", dilations, 2);
        RequireLength(node, "pads", pads, 4);
        int kh = (int)kernel[0], kw = (int)kernel[1], sh = (int)strides[0], sw = (int)strides[1], dh = (int)dilations[0], dw = (int)dilations[1];
        if (weightKernel is { } w && (w.H != kh || w.W != kw))
            throw node.Refuse($"kernel_shape [{kh}, {kw}] does not match the weight's {w.H}x{w.W} kernel");
        var padding = n.GetString("auto_pad", "NOTSET") switch
        {
            "NOTSET" => new Padding((int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3]),
            "VALID" => Padding.Valid,
            "SAME_UPPER" => Padding.Same,
            // SAME_LOWER pads as much as SAME_UPPER but puts the odd pixel at the beginning: take
            // Convolve's SAME_UPPER amounts for this input and swap begin and end.
            "SAME_LOWER" => SameLower(inputShape, kh, kw, sh, sw, dh, dw),
            var other => throw node.Refuse($"auto_pad '{other}' is not an ONNX value (NOTSET, SAME_UPPER, SAME_LOWER, VALID)"),
        };
        if (padded != Padding.Valid)
        {
            // SAME amounts depend on the padded size, which this layer does not see.
            if (padding.IsSame || n.GetString("auto_pad", "NOTSET") == "SAME_LOWER")
                throw node.Refuse("auto_pad SAME after a Pad node; Convolve folds a Pad only into explicit pads");
            padding = new Padding(padding.Top + padded.Top, padding.Left + padded.Left, padding.Bottom + padded.Bottom, padding.Right + padded.Right);
        }
        return (kh, kw, sh, sw, dh, dw, padding);
    }

    private static void RequireLength(OnnxNode node, string attribute, long[] values, int length)
    {
        if (values.Length != length)
            throw node.Refuse($"attribute {attribute} has {values.Length} values [{string.Join(", ", values)}], expected {length} for a 2-D {node.OpType}");
    }

    private static Padding SameLower(Shape inputShape, int kh, int kw, int sh, int sw, int dh, int dw)
    {
        var (top, left, bottom, right) = Padding.Same.Resolve(inputShape[2], inputShape[3], kh, kw, sh, sw, dh, dw);
        return new Padding(bottom, right, top, left);
    }

    /// <summary>Conv (weight [K, C/group, kH, kW], optional bias [K]) as a <see cref="Conv2D"/>.</summary>
    /// <param name="padded">Zero padding of a Pad node before the Conv, added to its pads.</param>
    public static Conv2D Conv(OnnxNode node, Shape inputShape, Padding padded = default)
    {
        var w = node.Float(1);
        if (w.Shape.Rank != 4)
            throw node.Refuse($"weight {w.Shape} is not [K, C/group, kH, kW]; Convolve has 2-D convolution only");
        var (kh, kw, sh, sw, dh, dw, padding) = Window(node, inputShape, (w.Shape[2], w.Shape[3]), padded);
        int groups = (int)node.Proto.GetInt("group", 1);
        bool hasBias = node.HasInput(2);
        var conv = Construct(node, () => new Conv2D(new Conv2DConfig(inputShape[1], w.Shape[0], kh, kw, sh, sw, padding, dh, dw, groups, hasBias)));
        if (conv.Weight.Shape != w.Shape)
            throw node.Refuse($"weight {w.Shape} does not fit an input of {inputShape[1]} channels in {groups} group(s) (expected {conv.Weight.Shape})");
        w.Span.CopyTo(conv.Weight.Value.Span);
        if (hasBias) CopyVector(node, 2, "bias", conv.Bias!.Value);
        return conv;
    }

    /// <summary>MaxPool as a <see cref="MaxPool2D"/> (its Indices output is not the layer's).</summary>
    public static MaxPool2D MaxPool(OnnxNode node, Shape inputShape)
    {
        var (kh, kw, sh, sw, dh, dw, padding) = Window(node, inputShape, null);
        bool ceil = node.Proto.GetInt("ceil_mode", 0) != 0;
        return Construct(node, () => new MaxPool2D(new MaxPool2DConfig(kh, kw, sh, sw, padding, dh, dw, ceil)));
    }

    /// <summary>AveragePool as an <see cref="AvgPool2D"/>; ONNX's count_include_pad defaults to 0, PyTorch's to true.</summary>
    /// <param name="padded">
    /// Zero padding of a Pad node before the pool (PyTorch writes AvgPool2d with padding and
    /// ceil_mode so): its zeros count in the divisor, so it folds in as padding with
    /// count_include_pad, when the pool's own pads count too and the output size agrees.
    /// </param>
    public static AvgPool2D AveragePool(OnnxNode node, Shape inputShape, Padding padded = default)
    {
        var (kh, kw, sh, sw, dh, dw, padding) = Window(node, inputShape, null, padded);
        if (dh != 1 || dw != 1)
            throw node.Refuse($"dilations ({dh}, {dw}): Convolve's AvgPool2D has no dilation");
        bool ceil = node.Proto.GetInt("ceil_mode", 0) != 0, countIncludePad = node.Proto.GetInt("count_include_pad", 0) != 0;
        if (padded != Padding.Valid)
        {
            var own = Window(node, inputShape, null).Padding;
            if (own != Padding.Valid && !countIncludePad)
                throw node.Refuse("pads that do not count in the divisor after a Pad whose zeros do; Convolve's AvgPool2D counts all padding or none");
            // ONNX pools the padded image, whose last window may start in what was padding;
            // Convolve (like PyTorch) drops such a window in ceil mode. Fold only when the sizes agree.
            int onnxH = Kernels.Pool2DGeometry.OutputSize(inputShape[2] + padded.Top + padded.Bottom, kh, sh, own.Top, own.Bottom, 1, ceil);
            int onnxW = Kernels.Pool2DGeometry.OutputSize(inputShape[3] + padded.Left + padded.Right, kw, sw, own.Left, own.Right, 1, ceil);
            int foldedH = Kernels.Pool2DGeometry.OutputSize(inputShape[2], kh, sh, padding.Top, padding.Bottom, 1, ceil);
            int foldedW = Kernels.Pool2DGeometry.OutputSize(inputShape[3], kw, sw, padding.Left, padding.Right, 1, ceil);
            if (onnxH != foldedH || onnxW != foldedW)
                throw node.Refuse($"after its Pad node the output is {onnxH}x{onnxW}, but folded into padding it would be {foldedH}x{foldedW} (ceil mode drops a window starting in the padding)");
            countIncludePad = true;
        }
        return Construct(node, () => new AvgPool2D(new AvgPool2DConfig(kh, kw, sh, sw, padding, ceil, countIncludePad)));
    }

    /// <summary>GlobalAveragePool of [N, C, H, W] as <see cref="GlobalAvgPool2D"/> keeping [N, C, 1, 1].</summary>
    public static GlobalAvgPool2D GlobalAveragePool(OnnxNode node, Shape inputShape)
    {
        if (inputShape.Rank != 4)
            throw node.Refuse($"input {node.Show(inputShape)} is not [N, C, H, W]; Convolve's GlobalAvgPool2D is 2-D only");
        return new GlobalAvgPool2D(keepDims: true);
    }

    // ---- Matrix products ------------------------------------------------------------------

    /// <summary>
    /// Why Gemm cannot be a <see cref="Dense"/> layer (Y = A B' + C with A the [N, K] input, B
    /// constant, C a constant vector), or null when it can.
    /// </summary>
    public static string? WhyGemmIsNotDense(OnnxNode node, Shape inputShape)
    {
        var n = node.Proto;
        if (inputShape.Rank != 2) return $"input {node.Show(inputShape)} is not [N, features]";
        if (n.GetInt("transA", 0) != 0) return "transA = 1 transposes the batch away";
        if (n.GetFloat("alpha", 1) != 1 || n.GetFloat("beta", 1) != 1)
            return $"alpha = {n.GetFloat("alpha", 1)}, beta = {n.GetFloat("beta", 1)}; Convolve's Dense computes x W^T + b (alpha = beta = 1)";
        if (!node.IsConstant(1)) return $"B ('{(node.HasInput(1) ? n.Input[1] : "")}') is not a constant";
        if (node.HasInput(2) && !node.IsConstant(2)) return $"C ('{n.Input[2]}') is not a constant";
        var b = OnnxTensor.GetDimensions(node.Constant(1));
        if (b.Length != 2) return $"B has {b.Length} dimensions, expected 2";
        bool transB = n.GetInt("transB", 0) != 0;
        int k = transB ? b[1] : b[0], outputs = transB ? b[0] : b[1];
        if (k != inputShape[1]) return $"B [{string.Join(", ", b)}]{(transB ? " transposed" : "")} does not take {inputShape[1]} features";
        if (node.HasInput(2) && !IsBiasVector(OnnxTensor.GetDimensions(node.Constant(2)), outputs))
            return $"C [{string.Join(", ", OnnxTensor.GetDimensions(node.Constant(2)))}] is not a bias of {outputs} values ([{outputs}] or [1, {outputs}])";
        return null;
    }

    // A bias broadcast along the batch: [F], [1, F], or a single value ([], [1], [1, 1]).
    private static bool IsBiasVector(int[] dims, int features)
    {
        int size = dims.Aggregate(1, (a, d) => a * d);
        return (size == features || size == 1) && dims.Take(Math.Max(0, dims.Length - 1)).All(d => d == 1);
    }

    /// <summary>Gemm as a <see cref="Dense"/> layer (weight B transposed when transB = 0); see <see cref="WhyGemmIsNotDense"/>.</summary>
    public static Dense Gemm(OnnxNode node, Shape inputShape)
    {
        if (WhyGemmIsNotDense(node, inputShape) is { } why) throw node.Refuse(why);
        var b = node.Float(1);
        bool transB = node.Proto.GetInt("transB", 0) != 0;
        var bias = node.HasInput(2) ? node.Float(2) : null;
        return DenseFrom(node, b, transB, bias);
    }

    /// <summary>MatMul of the [N, K] input by a constant [K, F], plus <paramref name="bias"/> (an Add that follows it) when given, as a <see cref="Dense"/> layer.</summary>
    public static Dense MatMul(OnnxNode node, Shape inputShape, Tensor? bias)
    {
        if (inputShape.Rank != 2)
            throw node.Refuse($"input {node.Show(inputShape)} is not [N, features]; Convolve's Dense multiplies matrices only");
        var b = node.Float(1);
        if (b.Shape.Rank != 2 || b.Shape[0] != inputShape[1])
            throw node.Refuse($"B {b.Shape} does not take {inputShape[1]} features ([{inputShape[1]}, F] expected)");
        if (bias is not null && !IsBiasVector(bias.Shape.Dims.ToArray(), b.Shape[1]))
            throw node.Refuse($"the added bias {bias.Shape} is not a vector of {b.Shape[1]} values");
        return DenseFrom(node, b, transposed: false, bias);
    }

    // Dense's weight is [out, in]: B itself when it is stored transposed, else B^T.
    private static Dense DenseFrom(OnnxNode node, Tensor b, bool transposed, Tensor? bias)
    {
        int k = transposed ? b.Shape[1] : b.Shape[0], outputs = transposed ? b.Shape[0] : b.Shape[1];
        var dense = new Dense(k, outputs, bias: bias is not null);
        var weight = dense.Weight.Value;
        for (int j = 0; j < outputs; j++)
        for (int p = 0; p < k; p++)
            weight[j, p] = transposed ? b[j, p] : b[p, j];
        if (bias is not null)
        {
            var target = dense.Bias!.Value.Span;
            if (bias.Length == 1) target.Fill(bias[0]);
            else bias.Span.CopyTo(target);
        }
        return dense;
    }

    // ---- Softmax, normalisation, regularisation --------------------------------------------

    /// <summary>
    /// Softmax over one axis (opset 13 on). Before opset 13 Softmax normalised the input flattened
    /// to 2-D at `axis` (default 1), which is one axis only when every later dimension is 1.
    /// </summary>
    public static Softmax Softmax(OnnxNode node, Shape inputShape)
    {
        bool modern = node.Opset >= 13;
        long axis = node.Proto.GetInt("axis", modern ? -1 : 1);
        long resolved = axis < 0 ? axis + inputShape.Rank : axis;
        if (resolved < 0 || resolved >= inputShape.Rank)
            throw node.Refuse($"axis {axis} is out of range for input {node.Show(inputShape)}");
        // The last axis is written -1, Convolve's default, whichever way the file spells it.
        int convolveAxis = resolved == inputShape.Rank - 1 ? -1 : (int)resolved;
        if (modern) return new Softmax(convolveAxis);
        for (int d = (int)resolved + 1; d < inputShape.Rank; d++)
            if (inputShape[d] != 1)
                throw node.Refuse($"opset {node.Opset} Softmax with axis {axis} normalises over dimensions {resolved} to {inputShape.Rank - 1} of {node.Show(inputShape)} together; Convolve's Softmax normalises one axis");
        return new Softmax(convolveAxis);
    }

    /// <summary>
    /// BatchNormalization in inference form as <see cref="BatchNorm2D"/>. ONNX's momentum weighs
    /// the old running value, Convolve's (like PyTorch's) the new batch value, so Convolve's is 1 -
    /// ONNX's. Before opset 9, spatial = 0 kept statistics per value rather than per channel,
    /// which is the same only when each channel has one value.
    /// </summary>
    public static BatchNorm2D BatchNormalization(OnnxNode node, Shape inputShape)
    {
        var n = node.Proto;
        if (inputShape.Rank != 4)
            throw node.Refuse($"input {node.Show(inputShape)} is not [N, C, H, W]; Convolve's BatchNorm2D normalises images");
        if (n.GetInt("training_mode", 0) != 0)
            throw node.Refuse("training_mode = 1 computes batch statistics in the graph; import models exported for inference");
        if (node.Opset < 9 && n.GetInt("spatial", 1) == 0 && inputShape[2] * inputShape[3] != 1)
            throw node.Refuse($"spatial = 0 keeps statistics per value of each {inputShape[2]}x{inputShape[3]} channel; Convolve's BatchNorm2D keeps them per channel");
        int channels = inputShape[1];
        // Momentum is a hand-picked hyperparameter (0.1, 0.01): round away the float error of
        // 1 - m so that Convolve's 0.1 written as ONNX's 0.9 reads back as 0.1.
        float momentum = MathF.Round(1 - n.GetFloat("momentum", 0.9f), 6);
        var bn = new BatchNorm2D(channels, n.GetFloat("epsilon", 1e-5f), momentum);
        CopyVector(node, 1, "scale", bn.Weight.Value);
        CopyVector(node, 2, "B", bn.Bias.Value);
        CopyVector(node, 3, "mean", bn.RunningMean.Value);
        CopyVector(node, 4, "var", bn.RunningVar.Value);
        return bn;
    }

    /// <summary>
    /// Dropout, an identity at inference. From opset 12 the ratio (default 0.5) and training_mode
    /// are inputs, before that ratio was an attribute.
    /// </summary>
    public static Dropout Dropout(OnnxNode node)
    {
        bool modern = node.Opset >= 12;
        float ratio = modern ? (node.HasInput(1) ? Scalar(node, 1, "ratio") : 0.5f) : node.Proto.GetFloat("ratio", 0.5f);
        if (modern && node.HasInput(2) && OnnxTensor.ToBoolArray(node.Constant(2), node.Where) is [true, ..])
            throw node.Refuse("training_mode is true, so the graph drops values even at inference");
        return Construct(node, () => new Dropout(ratio));
    }

    // ---- Element-wise ----------------------------------------------------------------------

    /// <summary>
    /// Clip as a <see cref="Layers.Clip"/>: bounds from the min and max attributes before opset
    /// 11, from the optional min and max inputs after; an absent bound is unbounded.
    /// </summary>
    public static Clip Clip(OnnxNode node)
    {
        var n = node.Proto;
        float min, max;
        if (node.Opset >= 11)
        {
            min = node.HasInput(1) ? Scalar(node, 1, "min") : float.NegativeInfinity;
            max = node.HasInput(2) ? Scalar(node, 2, "max") : float.PositiveInfinity;
        }
        else
        {
            min = n.GetFloat("min", float.NegativeInfinity);
            max = n.GetFloat("max", float.PositiveInfinity);
        }
        return Construct(node, () => new Clip(min, max));
    }

    /// <summary>
    /// Add, Sub, Mul or Div of the computed value and a constant (on either side) as an
    /// <see cref="Layers.ElementwiseConstant"/>, the constant broadcasting against the input.
    /// </summary>
    public static ElementwiseConstant ElementwiseConstant(OnnxNode node, Shape inputShape)
    {
        if (node.Proto.Input.Count != 2) throw node.Refuse($"{node.Proto.Input.Count} inputs, expected 2");
        var operation = node.OpType switch
        {
            "Add" => BinaryOperation.Add,
            "Sub" => BinaryOperation.Subtract,
            "Mul" => BinaryOperation.Multiply,
            _ => BinaryOperation.Divide,
        };
        bool constantOnLeft = node.IsConstant(0);
        var constant = node.Float(constantOnLeft ? 0 : 1);
        var c = constant.Shape;
        if (c.Rank > inputShape.Rank || (c.Rank == inputShape.Rank && c.Rank > 0 && c[0] != 1))
            throw node.Refuse($"the constant {c} has {(c.Rank > inputShape.Rank ? "more dimensions than" : "as many dimensions as")} input {node.Show(inputShape)}" +
                $"{(c.Rank == inputShape.Rank ? " without a leading 1" : "")}; Convolve broadcasts a constant over the batch");
        if (!Broadcast.TryGetShape(inputShape, c, out _, out _))
            throw node.Refuse($"the constant {c} does not broadcast against input {node.Show(inputShape)} (numpy's rule: aligned at the last dimension, each pair of sizes equal or one of them 1)");
        return new ElementwiseConstant(operation, constant, constantOnLeft);
    }

    private static float Scalar(OnnxNode node, int input, string what)
    {
        var t = node.Float(input);
        if (t.Length != 1) throw node.Refuse($"{what} {t.Shape} is not a single value");
        return t[0];
    }

    // Copies a constant vector input into a parameter, checking its number of values.
    private static void CopyVector(OnnxNode node, int input, string what, Tensor target)
    {
        var t = node.Float(input);
        if (t.Length != target.Length)
            throw node.Refuse($"{what} {t.Shape} has {t.Length} values, expected {target.Length}");
        t.Span.CopyTo(target.Span);
    }

    // Layer constructors check their options with ArgumentException; report those as the node's refusal.
    private static T Construct<T>(OnnxNode node, Func<T> create)
    {
        try { return create(); }
        catch (ArgumentException e) { throw node.Refuse(e.Message.TrimEnd('.')); }
    }
}
