using Convolve.Kernels;
using Convolve.Kernels.Reference;
using Convolve.Layers;
using Convolve.Onnx.Protos;
using Convolve.Onnx.Rules;
using Convolve.Tensors;

namespace Convolve.Onnx.Tests;

/// <summary>Which Convolve kernels a node runs on.</summary>
internal sealed record Backend(string Name, Conv2DAlgorithm ConvAlgorithm, IGemmKernel Gemm)
{
    /// <summary>
    /// The reference kernels, the defaults, and every other convolution algorithm (so that a fast
    /// kernel added later is held to the vectors too).
    /// </summary>
    public static IReadOnlyList<Backend> All { get; } =
    [
        new("reference", Conv2DAlgorithm.Reference, GemmReference.Instance),
        new("default", Conv2DAlgorithm.Auto, GemmKernels.Default),
        .. Enum.GetValues<Conv2DAlgorithm>()
            .Where(a => a is not (Conv2DAlgorithm.Auto or Conv2DAlgorithm.Reference))
            .Select(a => new Backend(a.ToString(), a, GemmKernels.Default)),
    ];

    public override string ToString() => Name;
}

/// <summary>
/// Runs one ONNX node with Convolve's layers and kernels: maps the operator and its attributes
/// to a layer (or, for Gemm and MatMul, to the matrix-multiply kernel) and returns each output
/// as a <see cref="Tensor"/> (float), <c>long[]</c> (INT64 indices) or <c>bool[]</c> (a mask).
/// Throws <see cref="NotSupportedException"/> with the reason when Convolve cannot run the node.
/// </summary>
internal sealed class OnnxNodeRunner(OnnxModel model, NodeProto node, IReadOnlyDictionary<string, TensorProto> values, Backend backend)
{
    private string Where => $"{model.Source}: {node.Describe()}";

    /// <summary>
    /// Run BatchNormalization with training_mode = 1 although its running_var output follows
    /// another convention than ONNX's (see <see cref="BatchNormalization"/>); off by default.
    /// </summary>
    public bool AllowBatchNormTraining { get; init; }

    /// <summary>The outputs, one per node output (null for an output the node does not produce).</summary>
    public object?[] Run() => node.OpType switch
    {
        "Conv" => [Conv()],
        "MaxPool" => MaxPool(),
        "AveragePool" => [AveragePool()],
        "GlobalAveragePool" => [GlobalAveragePool()],
        "Relu" => [RunLayer(new ReLU(), Float(0))],
        "LeakyRelu" => [RunLayer(new LeakyReLU(node.GetFloat("alpha", 0.01f)), Float(0))],
        "Sigmoid" => [RunLayer(new Sigmoid(), Float(0))],
        "Tanh" => [RunLayer(new Tanh(), Float(0))],
        "Softmax" => [Softmax()],
        "Flatten" => [RunLayer(new Flatten((int)node.GetInt("axis", 1)), Float(0))],
        "Gemm" => [Gemm()],
        "MatMul" => [MatMul()],
        "BatchNormalization" => BatchNormalization(),
        "Dropout" => Dropout(),
        _ => throw new NotSupportedException($"{Where}: operator {node.OpType} is not mapped to Convolve."),
    };

    private bool HasInput(int i) => i < node.Input.Count && node.Input[i].Length > 0;

    private TensorProto Input(int i) =>
        HasInput(i) && values.TryGetValue(node.Input[i], out var t) ? t
            : throw new InvalidOperationException($"{Where}: input {i} ('{(i < node.Input.Count ? node.Input[i] : "")}') has no value.");

    private Tensor Float(int i) => OnnxTensor.ToTensor(Input(i), $"{model.Source} input '{node.Input[i]}'");

    private Tensor RunLayer(Layer layer, Tensor input, bool training = false)
    {
        // Layers own their outputs; copy so that the result outlives the layer's next call.
        return layer.Forward(input, training).Clone();
    }

    // ---- Convolution and pooling: the importer's mappings ------------------------------------

    private OnnxNode Mapped => new(node, model.Source, model.GetOpsetVersion(), values);

    private Tensor Conv()
    {
        var x = Float(0);
        var conv = Conv2DOnnx.Import(Mapped, x.Shape);
        conv.Algorithm = backend.ConvAlgorithm;
        return RunLayer(conv, x);
    }

    private object?[] MaxPool()
    {
        var x = Float(0);
        var pool = Pool2DOnnx.MaxPool(Mapped, x.Shape);
        var y = RunLayer(pool, x);
        if (node.Output.Count < 2 || node.Output[1].Length == 0) return [y];

        // Indices: MaxPool2D keeps its argmax private, so ask the reference kernel it runs on.
        var g = pool.GetGeometry(x.Shape);
        var output = new float[g.OutputLength];
        var argmax = new int[g.OutputLength];
        Pool2DReference.MaxForward(g, x.Span, output, argmax);
        bool columnMajor = node.GetInt("storage_order", 0) != 0;
        var indices = new long[argmax.Length];
        for (int o = 0; o < argmax.Length; o++)
        {
            // ONNX indexes the flattened input; storage_order 1 flattens each H x W plane by
            // columns, so index (plane, h, w) becomes plane * H * W + w * H + h.
            int plane = argmax[o] / (g.InH * g.InW), h = argmax[o] / g.InW % g.InH, w = argmax[o] % g.InW;
            indices[o] = columnMajor ? (long)plane * g.InH * g.InW + (long)w * g.InH + h : argmax[o];
        }
        return [y, indices];
    }

    private Tensor GlobalAveragePool()
    {
        var x = Float(0);
        return RunLayer(GlobalAvgPool2DOnnx.Import(Mapped, x.Shape), x);
    }

    private Tensor AveragePool()
    {
        var x = Float(0);
        return RunLayer(Pool2DOnnx.AveragePool(Mapped, x.Shape), x);
    }

    // ---- Softmax --------------------------------------------------------------------------

    private Tensor Softmax()
    {
        var x = Float(0);
        if (model.GetOpsetVersion() >= 13) return RunLayer(SoftmaxOnnx.Import(Mapped, x.Shape), x);
        // Before opset 13, Softmax flattened the input to 2-D at `axis` (default 1) and
        // normalised each row: the same as Flatten(axis), then Softmax over the last axis.
        var rows = RunLayer(new Flatten((int)node.GetInt("axis", 1)), x);
        return RunLayer(new Softmax(-1), rows).Reshape(x.Shape);
    }

    // ---- Matrix products ------------------------------------------------------------------

    /// <summary>
    /// Y = alpha * A' * B' + beta * C, with A' = A or A^T (transA), B' likewise, C broadcast to
    /// [M, N]. A plain Gemm (alpha = beta = 1, no transA, bias absent or a vector) is the
    /// importer's <see cref="Dense"/> layer (<see cref="DenseOnnx.Gemm"/>); the rest go to the kernel directly.
    /// </summary>
    private Tensor Gemm()
    {
        var a = Float(0);
        var b = Float(1);
        bool transA = node.GetInt("transA", 0) != 0, transB = node.GetInt("transB", 0) != 0;
        float alpha = node.GetFloat("alpha", 1), beta = node.GetFloat("beta", 1);
        int m = transA ? a.Shape[1] : a.Shape[0], k = transA ? a.Shape[0] : a.Shape[1];
        int n = transB ? b.Shape[0] : b.Shape[1];
        Tensor? c = HasInput(2) ? Float(2) : null;

        if (DenseOnnx.WhyGemmIsNotDense(Mapped, a.Shape) is null)
        {
            var dense = DenseOnnx.Gemm(Mapped, a.Shape);
            dense.Gemm = backend.Gemm;
            return RunLayer(dense, a);
        }

        var y = new Tensor(new Shape(m, n));
        backend.Gemm.Multiply(transA, transB, m, n, k, a.Span, b.Span, y.Span, accumulate: false);
        int cRows = c is null || c.Shape.Rank < 2 ? 1 : c.Shape[0];
        int cColumns = c is null || c.Shape.Rank == 0 ? 1 : c.Shape[^1];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                y[i, j] = alpha * y[i, j] + (c is null ? 0 : beta * c[i % cRows * cColumns + j % cColumns]);
        return y;
    }

    /// <summary>
    /// numpy's matmul: the last two dimensions multiply as matrices, the ones before broadcast
    /// as a batch. Each batch item is one call to the GEMM kernel.
    /// </summary>
    private Tensor MatMul()
    {
        var a = Float(0);
        var b = Float(1);
        if (a.Shape.Rank < 2 || b.Shape.Rank < 2)
            throw new NotSupportedException($"{Where}: MatMul of a vector ({a.Shape} x {b.Shape}) is not mapped.");
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        if (b.Shape[^2] != k)
            throw new ShapeException($"{Where}: cannot multiply {a.Shape} by {b.Shape}.");
        int rank = Math.Max(a.Shape.Rank, b.Shape.Rank);
        var batch = new int[rank - 2];
        for (int d = 0; d < batch.Length; d++)
        {
            int da = BatchDim(a.Shape, d, rank), db = BatchDim(b.Shape, d, rank);
            if (da != db && da != 1 && db != 1)
                throw new ShapeException($"{Where}: batch dimensions of {a.Shape} and {b.Shape} do not broadcast.");
            batch[d] = Math.Max(da, db);
        }
        var y = new Tensor(new Shape([.. batch, m, n]));
        int items = y.Length / (m * n);
        for (int item = 0; item < items; item++)
        {
            int aItem = 0, bItem = 0, rest = item;
            int aStride = 1, bStride = 1;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                int index = rest % batch[d];
                rest /= batch[d];
                int da = BatchDim(a.Shape, d, rank), db = BatchDim(b.Shape, d, rank);
                aItem += (da == 1 ? 0 : index) * aStride;
                bItem += (db == 1 ? 0 : index) * bStride;
                aStride *= da;
                bStride *= db;
            }
            backend.Gemm.Multiply(false, false, m, n, k, a.Span.Slice(aItem * m * k, m * k),
                b.Span.Slice(bItem * k * n, k * n), y.Span.Slice(item * m * n, m * n), accumulate: false);
        }
        return y;
    }

    // Batch dimension d (of rank - 2, counted in the broadcast shape) of a matrix stack; 1 where it has none.
    private static int BatchDim(Shape shape, int d, int rank)
    {
        int own = d - (rank - shape.Rank);
        return own < 0 ? 1 : shape[own];
    }

    // ---- Normalisation and regularisation -------------------------------------------------

    /// <summary>
    /// BatchNorm2D with the node's scale, bias, mean and variance. Inputs [N, C, D1, ...] are
    /// viewed as [N, C, D1*..., 1]. ONNX's momentum weighs the old running value, Convolve's
    /// (like PyTorch's) the new batch value, so Convolve's is 1 - ONNX's.
    /// </summary>
    private object?[] BatchNormalization()
    {
        var x = Float(0);
        if (x.Shape.Rank < 2)
            throw new NotSupportedException($"{Where}: BatchNormalization of a rank-{x.Shape.Rank} input.");
        bool training = node.GetInt("training_mode", 0) != 0;
        if (training && !AllowBatchNormTraining)
            throw new NotSupportedException($"{Where}: training_mode = 1 updates running_var with the biased batch variance in ONNX " +
                "and with the unbiased one in Convolve (PyTorch's rule), so that output cannot match; Y and running_mean do " +
                "(BatchNormTrainingModeTests checks all three).");
        int channels = x.Shape[1];
        var bn = new BatchNorm2D(channels, node.GetFloat("epsilon", 1e-5f), 1 - node.GetFloat("momentum", 0.9f));
        Float(1).Span.CopyTo(bn.Weight.Value.Span);
        Float(2).Span.CopyTo(bn.Bias.Value.Span);
        Float(3).Span.CopyTo(bn.RunningMean.Value.Span);
        Float(4).Span.CopyTo(bn.RunningVar.Value.Span);
        var as4D = x.Reshape(new Shape(x.Shape[0], channels, x.Length / (x.Shape[0] * channels), 1));
        var y = RunLayer(bn, as4D, training: training).Reshape(x.Shape);
        if (!training) return [y];
        return [y, bn.RunningMean.Value.Clone(), bn.RunningVar.Value.Clone()];
    }

    /// <summary>
    /// Dropout: from opset 12 the ratio (default 0.5) and training_mode (default false) are
    /// optional inputs, before that ratio was an attribute and the node never trained.
    /// </summary>
    private object?[] Dropout()
    {
        var x = Float(0);
        bool modern = model.GetOpsetVersion() >= 12;
        float ratio = modern ? (HasInput(1) ? Float(1)[0] : 0.5f) : node.GetFloat("ratio", 0.5f);
        bool training = modern && HasInput(2) && OnnxTensor.ToBoolArray(Input(2), model.Source)[0];
        if (training && ratio > 0)
            throw new NotSupportedException($"{Where}: training-mode dropout with ratio {ratio} drops a random subset; " +
                "the expected output is one draw of ONNX's generator, which Convolve's random source cannot reproduce.");
        var y = RunLayer(new Dropout(ratio), x, training: training);
        if (node.Output.Count < 2 || node.Output[1].Length == 0) return [y];
        // Convolve's Dropout does not expose its mask; here it keeps every element unscaled, so the
        // mask is where the output equals the input.
        var mask = new bool[y.Length];
        for (int i = 0; i < mask.Length; i++) mask[i] = y[i] == x[i];
        return [y, mask];
    }
}
