using Convolve.Kernels;
using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>MaxPool2D and AvgPool2D in ONNX: MaxPool and AveragePool, both ways.</summary>
internal static class Pool2DOnnx
{
    /// <summary>MaxPool as a <see cref="MaxPool2D"/> (its Indices output is not the layer's).</summary>
    [OnnxImport("MaxPool")]
    public static MaxPool2D MaxPool(OnnxNode node, Shape inputShape)
    {
        var (kh, kw, sh, sw, dh, dw, padding) = OnnxRule.Window(node, inputShape, null);
        bool ceil = node.Proto.GetInt("ceil_mode", 0) != 0;
        return OnnxRule.Construct(node, () => new MaxPool2D(new MaxPool2DConfig(kh, kw, sh, sw, padding, dh, dw, ceil)));
    }

    /// <summary>AveragePool as an <see cref="AvgPool2D"/>; ONNX's count_include_pad defaults to 0, PyTorch's to true.</summary>
    [OnnxImport("AveragePool")]
    public static AvgPool2D AveragePool(OnnxNode node, Shape inputShape) => AveragePool(node, inputShape, Padding.Valid);

    /// <summary>AveragePool as an <see cref="AvgPool2D"/> reading a zero-padded input.</summary>
    /// <param name="padded">
    /// Zero padding of a Pad node before the pool (PyTorch writes AvgPool2d with padding and
    /// ceil_mode so): its zeros count in the divisor, so it folds in as padding with
    /// count_include_pad, when the pool's own pads count too and the output size agrees.
    /// </param>
    /// <param name="node">The node, with its constants.</param>
    /// <param name="inputShape">The shape of the computed input, batch first.</param>
    public static AvgPool2D AveragePool(OnnxNode node, Shape inputShape, Padding padded)
    {
        var (kh, kw, sh, sw, dh, dw, padding) = OnnxRule.Window(node, inputShape, null, padded);
        if (dh != 1 || dw != 1)
            throw node.Refuse($"dilations ({dh}, {dw}): Convolve's AvgPool2D has no dilation");
        bool ceil = node.Proto.GetInt("ceil_mode", 0) != 0, countIncludePad = node.Proto.GetInt("count_include_pad", 0) != 0;
        if (padded != Padding.Valid)
        {
            var own = OnnxRule.Window(node, inputShape, null).Padding;
            if (own != Padding.Valid && !countIncludePad)
                throw node.Refuse("pads that do not count in the divisor after a Pad whose zeros do; Convolve's AvgPool2D counts all padding or none");
            // ONNX pools the padded image, whose last window may start in what was padding;
            // Convolve (like PyTorch) drops such a window in ceil mode. Fold only when the sizes agree.
            int onnxH = Pool2DGeometry.OutputSize(inputShape[2] + padded.Top + padded.Bottom, kh, sh, own.Top, own.Bottom, 1, ceil);
            int onnxW = Pool2DGeometry.OutputSize(inputShape[3] + padded.Left + padded.Right, kw, sw, own.Left, own.Right, 1, ceil);
            int foldedH = Pool2DGeometry.OutputSize(inputShape[2], kh, sh, padding.Top, padding.Bottom, 1, ceil);
            int foldedW = Pool2DGeometry.OutputSize(inputShape[3], kw, sw, padding.Left, padding.Right, 1, ceil);
            if (onnxH != foldedH || onnxW != foldedW)
                throw node.Refuse($"after its Pad node the output is {onnxH}x{onnxW}, but folded into padding it would be {foldedH}x{foldedW} " +
                    "(ceil mode drops a window starting in the padding)");
            countIncludePad = true;
        }
        return OnnxRule.Construct(node, () => new AvgPool2D(new AvgPool2DConfig(kh, kw, sh, sw, padding, ceil, countIncludePad)));
    }

    /// <summary>MaxPool with explicit pads, dilations and ceil_mode.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, MaxPool2D pool, string input, Shape inputShape, string output)
    {
        var g = pool.GetGeometry(inputShape);
        return graph.AddNode("MaxPool", pool.Name, [input], output,
            Ints("kernel_shape", g.KernelH, g.KernelW), Ints("strides", g.StrideH, g.StrideW),
            Ints("pads", g.PadTop, g.PadLeft, g.PadBottom, g.PadRight),
            Ints("dilations", g.DilationH, g.DilationW), Int("ceil_mode", g.CeilMode ? 1 : 0));
    }

    /// <summary>AveragePool with explicit pads, ceil_mode and count_include_pad.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, AvgPool2D pool, string input, Shape inputShape, string output)
    {
        var g = pool.GetGeometry(inputShape);
        return graph.AddNode("AveragePool", pool.Name, [input], output,
            Ints("kernel_shape", g.KernelH, g.KernelW), Ints("strides", g.StrideH, g.StrideW),
            Ints("pads", g.PadTop, g.PadLeft, g.PadBottom, g.PadRight),
            Int("ceil_mode", g.CeilMode ? 1 : 0), Int("count_include_pad", pool.CountIncludePad ? 1 : 0));
    }
}
