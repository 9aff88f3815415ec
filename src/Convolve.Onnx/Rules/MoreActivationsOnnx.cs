using Convolve.Layers;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>
/// Elu, Selu, Celu, Softplus, Softsign, ThresholdedRelu, Gelu and Mish as Convolve's activations,
/// and SiLU, which ONNX writes as x * Sigmoid(x). Gelu (opset 20) and Mish (opset 18) export as
/// their opset-13 decompositions; the importer reads those (and x * Sigmoid(x)) back as one layer.
/// </summary>
internal static class MoreActivationsOnnx
{
    /// <summary>Elu (alpha, default 1) as <see cref="ELU"/>.</summary>
    [OnnxImport("Elu")]
    public static ELU Elu(OnnxNode node, Shape inputShape) => new(node.Proto.GetFloat("alpha", 1f));

    /// <summary>Selu (alpha and gamma, ONNX's defaults) as <see cref="SELU"/>.</summary>
    [OnnxImport("Selu")]
    public static SELU Selu(OnnxNode node, Shape inputShape) =>
        new(node.Proto.GetFloat("alpha", SELU.DefaultAlpha), node.Proto.GetFloat("gamma", SELU.DefaultGamma));

    /// <summary>Celu (alpha, default 1) as <see cref="CELU"/>.</summary>
    [OnnxImport("Celu")]
    public static CELU Celu(OnnxNode node, Shape inputShape) => OnnxRule.Construct(node, () => new CELU(node.Proto.GetFloat("alpha", 1f)));

    /// <summary>Softplus as <see cref="Layers.Softplus"/>.</summary>
    [OnnxImport("Softplus")]
    public static Softplus Softplus(OnnxNode node, Shape inputShape) => new();

    /// <summary>Softsign as <see cref="Layers.Softsign"/>.</summary>
    [OnnxImport("Softsign")]
    public static Softsign Softsign(OnnxNode node, Shape inputShape) => new();

    /// <summary>ThresholdedRelu (alpha, default 1) as <see cref="ThresholdedReLU"/>.</summary>
    [OnnxImport("ThresholdedRelu")]
    public static ThresholdedReLU ThresholdedRelu(OnnxNode node, Shape inputShape) => new(node.Proto.GetFloat("alpha", 1f));

    /// <summary>Gelu (opset 20; approximate "none" or "tanh") as <see cref="GELU"/>; the importer also reads opset 13's Erf form as one.</summary>
    [OnnxImport("Gelu")]
    public static GELU Gelu(OnnxNode node, Shape inputShape) => OnnxRule.Construct(node, () => new GELU(node.Proto.GetString("approximate", "none")));

    /// <summary>Mish (opset 18) as <see cref="Layers.Mish"/>; the importer also reads x * Tanh(Softplus(x)) as one.</summary>
    [OnnxImport("Mish")]
    public static Mish Mish(OnnxNode node, Shape inputShape) => new();


    /// <summary>Elu with its alpha.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, ELU layer, string input, Shape inputShape, string output) =>
        graph.AddNode("Elu", layer.Name, [input], output, Float("alpha", layer.Alpha));

    /// <summary>Selu with its alpha and gamma.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, SELU layer, string input, Shape inputShape, string output) =>
        graph.AddNode("Selu", layer.Name, [input], output, Float("alpha", layer.Alpha), Float("gamma", layer.Gamma));

    /// <summary>Celu (opset 12) with its alpha.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, CELU layer, string input, Shape inputShape, string output) =>
        graph.AddNode("Celu", layer.Name, [input], output, Float("alpha", layer.Alpha));

    /// <summary>Softplus.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Softplus layer, string input, Shape inputShape, string output) =>
        graph.AddNode("Softplus", layer.Name, [input], output);

    /// <summary>Softsign.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Softsign layer, string input, Shape inputShape, string output) =>
        graph.AddNode("Softsign", layer.Name, [input], output);

    /// <summary>ThresholdedRelu (opset 10) with its alpha.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, ThresholdedReLU layer, string input, Shape inputShape, string output) =>
        graph.AddNode("ThresholdedRelu", layer.Name, [input], output, Float("alpha", layer.Alpha));

    /// <summary>
    /// Gelu is opset 20; in opset 13 the exact form is x * 0.5 * (1 + Erf(x / sqrt 2)), written as
    /// PyTorch writes it (Div, Erf, Add, Mul, Mul), which the importer reads back as one GELU. The
    /// tanh approximation is written out too (x^3 as two Muls); it reads back as its element-wise
    /// layers, not as one GELU.
    /// </summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, GELU layer, string input, Shape inputShape, string output)
    {
        string n = layer.Name;
        string Scalar(string name, double value) => graph.Initializer($"{n}.{name}", Tensor.FromArray([(float)value]), scalar: true);
        string half = Scalar("half", 0.5), one = Scalar("one", 1);
        string sum;
        if (layer.Approximate == "none")
        {
            string scaled = graph.AddNode("Div", $"{n}/div", [input, Scalar("sqrt2", Math.Sqrt(2))], $"{n}/div");
            string erf = graph.AddNode("Erf", $"{n}/erf", [scaled], $"{n}/erf");
            sum = graph.AddNode("Add", $"{n}/add", [erf, one], $"{n}/add");
        }
        else
        {
            string square = graph.AddNode("Mul", $"{n}/square", [input, input], $"{n}/square");
            string cube = graph.AddNode("Mul", $"{n}/cube", [square, input], $"{n}/cube");
            string cubic = graph.AddNode("Mul", $"{n}/cubic", [cube, Scalar("cubic", 0.044715)], $"{n}/cubic");
            string inner = graph.AddNode("Add", $"{n}/inner", [input, cubic], $"{n}/inner");
            string scaled = graph.AddNode("Mul", $"{n}/scaled", [inner, Scalar("sqrt2overpi", Math.Sqrt(2 / Math.PI))], $"{n}/scaled");
            string tanh = graph.AddNode("Tanh", $"{n}/tanh", [scaled], $"{n}/tanh");
            sum = graph.AddNode("Add", $"{n}/add", [tanh, one], $"{n}/add");
        }
        string times = graph.AddNode("Mul", $"{n}/mul", [input, sum], $"{n}/mul");
        return graph.AddNode("Mul", n, [times, half], output);
    }

    /// <summary>Mish is opset 18; in opset 13 it is x * Tanh(Softplus(x)), which the importer reads back as one Mish.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Mish layer, string input, Shape inputShape, string output)
    {
        string n = layer.Name;
        string softplus = graph.AddNode("Softplus", $"{n}/softplus", [input], $"{n}/softplus");
        string tanh = graph.AddNode("Tanh", $"{n}/tanh", [softplus], $"{n}/tanh");
        return graph.AddNode("Mul", n, [input, tanh], output);
    }

    /// <summary>SiLU has no ONNX operator: x * Sigmoid(x), which the importer reads back as one SiLU.</summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, SiLU layer, string input, Shape inputShape, string output)
    {
        string n = layer.Name;
        string sigmoid = graph.AddNode("Sigmoid", $"{n}/sigmoid", [input], $"{n}/sigmoid");
        return graph.AddNode("Mul", n, [input, sigmoid], output);
    }
}
