using Convolve.Analysis;
using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Cli.Serve;

/// <summary>One layer's feature maps for the drawn digit.</summary>
/// <param name="Index">The layer's index in the model (what an explanation names).</param>
/// <param name="Name">The layer's name ("conv2d_1").</param>
/// <param name="Kind">The layer with its options ("Conv2D(1->32, 3x3)").</param>
/// <param name="Shape">Its output for one item, [C, H, W].</param>
/// <param name="ShownChannels">How many of the C maps <see cref="Values"/> holds (the first ones; at most <see cref="DrawAnalysis.MaxChannels"/>).</param>
/// <param name="Values">
/// The first <see cref="ShownChannels"/> maps, row-major, as 32-bit floats in little-endian byte
/// order, in base64: exact, and a third of the size of the same numbers written out in JSON, which
/// is what most of an answer's time went on (thousands of values per layer).
/// </param>
internal sealed record DrawLayer(int Index, string Name, string Kind, int[] Shape, int ShownChannels, string Values);

/// <summary>The model's answer for a drawing.</summary>
/// <param name="Model">The model's short name.</param>
/// <param name="Input28">The drawing framed as MNIST digits were (0..1 values, <see cref="InputSize"/> squared), before the model's own preparation.</param>
/// <param name="InputSize">The side of <see cref="Input28"/>: the model's input height and width (28 for MNIST models).</param>
/// <param name="Probabilities">The class probabilities.</param>
/// <param name="Classes">The class names, in the order of <see cref="Probabilities"/>.</param>
/// <param name="Best">The index of the most likely class.</param>
/// <param name="Layers">Every layer whose output is feature maps, in order.</param>
/// <param name="Note">Something the page should tell the user, or null.</param>
internal sealed record DrawPrediction(string Model, float[] Input28, int InputSize, float[] Probabilities, string[] Classes, int Best,
    DrawLayer[] Layers, string? Note);

/// <summary>The input pixels a feature-map value depends on (rows and columns of the model's input).</summary>
/// <param name="Top">First row.</param>
/// <param name="Left">First column.</param>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Exact">False when a layer on the way is not a convolution, pooling or elementwise layer, so the whole input is given.</param>
internal sealed record ReceptiveField(int Top, int Left, int Height, int Width, bool Exact);

/// <summary>The arithmetic of one value of the first convolution: the article's anchor computation.</summary>
/// <param name="Layer">The convolution's index in the model.</param>
/// <param name="Name">The convolution's name.</param>
/// <param name="Top">The input row of the window's top-left tap (negative inside the padding).</param>
/// <param name="Left">The input column of the window's top-left tap.</param>
/// <param name="WindowShape">[input channels, kernel rows, kernel columns].</param>
/// <param name="Window">The input values under the kernel (0 in the padding), row-major per channel.</param>
/// <param name="Kernel">The filter's weights in the same order.</param>
/// <param name="Products">Each window value times its weight.</param>
/// <param name="Sum">The sum of <see cref="Products"/>.</param>
/// <param name="Bias">The filter's bias (0 when the layer has none).</param>
/// <param name="PreActivation"><see cref="Sum"/> plus <see cref="Bias"/>: what the convolution outputs.</param>
/// <param name="AfterRelu">max(0, <see cref="PreActivation"/>).</param>
/// <param name="EngineValue">The convolution's output at this position as the engine computed it in the forward pass.</param>
internal sealed record ConvolutionArithmetic(int Layer, string Name, int Top, int Left, int[] WindowShape, float[] Window, float[] Kernel,
    float[] Products, float Sum, float Bias, float PreActivation, float AfterRelu, float EngineValue);

/// <summary>Where a feature-map value comes from.</summary>
/// <param name="Layer">The layer's index.</param>
/// <param name="Name">The layer's name.</param>
/// <param name="Channel">The map.</param>
/// <param name="Y">The row in the map.</param>
/// <param name="X">The column in the map.</param>
/// <param name="Value">The engine's value there.</param>
/// <param name="ReceptiveField">The input pixels it depends on.</param>
/// <param name="Arithmetic">
/// For the first convolution, and for elementwise layers right after it (its ReLU), how the
/// convolution's value is computed; null for other layers.
/// </param>
internal sealed record DrawExplanation(int Layer, string Name, int Channel, int Y, int X, float Value, ReceptiveField ReceptiveField,
    ConvolutionArithmetic? Arithmetic);

/// <summary>
/// The engine's work for the Draw page: frame the drawing as MNIST digits were framed, run the
/// model layer by layer, and explain one feature-map value (its receptive field, and for the first
/// convolution its sum of products). Everything runs under the model's lock
/// (<see cref="ServedModel.Use{T}"/>), since layers keep buffers between calls.
/// </summary>
internal static class DrawAnalysis
{
    /// <summary>The most feature maps sent per layer; a layer with more says how many it has.</summary>
    public const int MaxChannels = 32;

    /// <summary>The prediction and every layer's maps for <paramref name="request"/>'s drawing.</summary>
    public static DrawPrediction Predict(ServedModel served, DrawRequest request)
    {
        request.CheckDrawing();
        return served.Use(model =>
        {
            var run = Run(model, request);
            var layers = new List<DrawLayer>();
            for (int i = 0; i < run.Outputs.Count; i++)
            {
                var output = run.Outputs[i];
                if (!output.IsMaps) continue;
                var shape = output.Output.Shape;
                int shown = Math.Min(shape[0], MaxChannels);
                layers.Add(new DrawLayer(i, output.Name, output.Description, [shape[0], shape[1], shape[2]], shown,
                    Base64(output.Output.Span[..(shown * shape[1] * shape[2])])));
            }
            int classes = run.Probabilities.Length;
            string? note = run.Outputs.Count == 0 ? "This model is not a sequence of layers, so its feature maps cannot be shown." : null;
            return new DrawPrediction(served.Name, run.Framed, run.Size, run.Probabilities,
                [.. Enumerable.Range(0, classes).Select(served.ClassName)], System.Numerics.Tensors.TensorPrimitives.IndexOfMax(run.Probabilities),
                [.. layers], note);
        });
    }

    /// <summary>The receptive field and, for the first convolution, the arithmetic of the value <paramref name="request"/> names.</summary>
    public static DrawExplanation Explain(ServedModel served, DrawRequest request)
    {
        request.CheckDrawing();
        return served.Use(model =>
        {
            var run = Run(model, request);
            if (run.Outputs.Count == 0) throw ApiErrors.Bad("This model is not a sequence of layers, so its feature maps cannot be explained.");
            var mapLayers = Enumerable.Range(0, run.Outputs.Count).Where(i => run.Outputs[i].IsMaps).ToList();
            string layersWithMaps = mapLayers.Count == 0 ? "none" : string.Join(", ", mapLayers);
            if (request.Layer is not { } layer) throw ApiErrors.Bad($"layer is missing: name a layer with feature maps ({layersWithMaps}).");
            if (layer < 0 || layer >= run.Outputs.Count)
                throw ApiErrors.Bad($"layer is {layer}; it must be 0 to {run.Outputs.Count - 1}, a layer with feature maps ({layersWithMaps}).");
            var output = run.Outputs[layer];
            if (!output.IsMaps) throw ApiErrors.Bad($"layer {layer} ({output.Name}) has no feature maps; the layers with maps are {layersWithMaps}.");
            var shape = output.Output.Shape;
            int channel = InRange(request.Channel, "channel", shape[0], $"{output.Name} has {Terminal.Plural(shape[0], "map")}");
            int y = InRange(request.Y, "y", shape[1], $"{output.Name}'s maps have {Terminal.Plural(shape[1], "row")}");
            int x = InRange(request.X, "x", shape[2], $"{output.Name}'s maps have {Terminal.Plural(shape[2], "column")}");
            float value = output.Output[(channel * shape[1] + y) * shape[2] + x];
            var field = FieldOf(model, layer, y, x);
            return new DrawExplanation(layer, output.Name, channel, y, x, value, field, Arithmetic(model, run, layer, channel, y, x));
        });
    }

    /// <summary>
    /// The input rows and columns that output (<paramref name="y"/>, <paramref name="x"/>) of layer
    /// <paramref name="layer"/> depends on: walking back through the layers, a convolution or
    /// pooling window of k taps with stride s, padding p and dilation d maps rows
    /// [a, b] of its output to rows [a s - p, b s - p + d (k - 1)] of its input (clipped to the
    /// input); elementwise layers keep them.
    /// </summary>
    public static ReceptiveField FieldOf(Model model, int layer, int y, int x)
    {
        var inputShapes = model.LayerInputShapes(1);
        int top = y, bottom = y, left = x, right = x;
        bool exact = true;
        for (int i = layer; i >= 0; i--)
        {
            var shape = inputShapes[i];
            if (shape.Rank != 4) throw new InvalidOperationException($"layer {i} takes {shape}, not feature maps.");
            int inH = shape[2], inW = shape[3];
            switch (model.Layers[i])
            {
                case Conv2D conv:
                    {
                        var g = conv.GetGeometry(shape);
                        (top, bottom) = Back(top, bottom, g.StrideH, g.PadTop, g.DilationH * (g.KernelH - 1), inH);
                        (left, right) = Back(left, right, g.StrideW, g.PadLeft, g.DilationW * (g.KernelW - 1), inW);
                        break;
                    }
                case Pool2D pool:
                    {
                        var g = pool.GetGeometry(shape);
                        (top, bottom) = Back(top, bottom, g.StrideH, g.PadTop, g.DilationH * (g.KernelH - 1), inH);
                        (left, right) = Back(left, right, g.StrideW, g.PadLeft, g.DilationW * (g.KernelW - 1), inW);
                        break;
                    }
                case Activation or Dropout or BatchNorm2D or PReLU or LocalResponseNorm or ElementwiseConstant:
                    break;
                default:
                    (top, bottom, left, right, exact) = (0, inH - 1, 0, inW - 1, false);
                    break;
            }
        }
        return new ReceptiveField(top, left, bottom - top + 1, right - left + 1, exact);
    }

    private static (int First, int Last) Back(int first, int last, int stride, int pad, int extent, int size) =>
        (Math.Clamp(first * stride - pad, 0, size - 1), Math.Clamp(last * stride - pad + extent, 0, size - 1));

    // The first convolution's window times its filter at (channel, y, x), when the clicked layer is
    // that convolution or an elementwise layer right after it (whose value at the same place it feeds).
    private static ConvolutionArithmetic? Arithmetic(Model model, ForwardRun run, int layer, int channel, int y, int x)
    {
        int first = -1;
        for (int i = 0; i < model.Layers.Count && first < 0; i++)
            if (model.Layers[i] is Conv2D) first = i;
        if (first < 0 || layer < first) return null;
        for (int i = first + 1; i <= layer; i++)
            if (model.Layers[i] is not Activation) return null;

        var conv = (Conv2D)model.Layers[first];
        var input = first == 0 ? run.Input : run.Outputs[first - 1].Output;
        var g = conv.GetGeometry(input.Shape.Rank == 4 ? input.Shape : input.Shape.Prepend(1));
        int perGroupIn = g.InChannels / g.Groups, perGroupOut = g.OutChannels / g.Groups;
        int firstChannel = channel / perGroupOut * perGroupIn;
        int top = y * g.StrideH - g.PadTop, left = x * g.StrideW - g.PadLeft;
        int taps = perGroupIn * g.KernelH * g.KernelW;
        var window = new float[taps];
        var kernel = new float[taps];
        var products = new float[taps];
        var weights = conv.Weight.Value.Span.Slice(channel * taps, taps);
        var pixels = input.Span;
        double sum = 0;
        for (int c = 0, t = 0; c < perGroupIn; c++)
            for (int ky = 0; ky < g.KernelH; ky++)
                for (int kx = 0; kx < g.KernelW; kx++, t++)
                {
                    int iy = top + ky * g.DilationH, ix = left + kx * g.DilationW;
                    bool inside = iy >= 0 && iy < g.InH && ix >= 0 && ix < g.InW;
                    window[t] = inside ? pixels[((firstChannel + c) * g.InH + iy) * g.InW + ix] : 0;
                    kernel[t] = weights[t];
                    products[t] = window[t] * kernel[t];
                    sum += products[t];
                }
        float bias = conv.Bias is { } b ? b.Value[channel] : 0;
        float pre = (float)(sum + bias);
        var convMaps = run.Outputs[first].Output;
        float engine = convMaps[(channel * convMaps.Shape[1] + y) * convMaps.Shape[2] + x];
        return new ConvolutionArithmetic(first, conv.Name, top, left, [perGroupIn, g.KernelH, g.KernelW], window, kernel, products,
            (float)sum, bias, pre, MathF.Max(0, pre), engine);
    }

    /// <summary><paramref name="values"/> as little-endian 32-bit floats in base64.</summary>
    public static string Base64(ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian) return Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        return Convert.ToBase64String(bytes);
    }

    private static int InRange(int? value, string field, int count, string why)
    {
        if (value is not { } v) throw ApiErrors.Bad($"{field} is missing; it must be 0 to {count - 1} ({why}).");
        if (v < 0 || v >= count) throw ApiErrors.Bad($"{field} is {v}; it must be 0 to {count - 1} ({why}).");
        return v;
    }

    /// <summary>The framed drawing, the model's input, every layer's output and the class probabilities.</summary>
    private sealed record ForwardRun(float[] Framed, int Size, Tensor Input, IReadOnlyList<LayerOutput> Outputs, float[] Probabilities);

    private static ForwardRun Run(Model model, DrawRequest request)
    {
        var shape = model.InputShape;
        if (shape.Rank != 3 || shape[0] is not (1 or 3) || shape[1] != shape[2])
            throw ApiErrors.Bad($"The Draw page needs a model that takes square gray or colour images; this one takes {shape}.");
        var preparation = model.PreparationOrDefault;
        if (preparation.Problem(shape) is { } problem) throw ApiErrors.Bad($"The model's input preparation {problem}.");
        int size = shape[1];
        var framed = new float[size * size];
        int box = Math.Max(1, (int)Math.Round(size * (double)DigitFraming.MnistBox / DigitFraming.MnistSize));
        if (!DigitFraming.Frame(request.Pixels!, request.Height, request.Width, framed, size, box))
            throw ApiErrors.Bad("pixels are all 0: the drawing is empty; draw something first.");

        var input = new Tensor(shape.Prepend(1));
        for (int c = 0; c < shape[0]; c++) framed.CopyTo(input.Span.Slice(c * framed.Length, framed.Length));
        preparation.Apply(input.Span);

        IReadOnlyList<LayerOutput> outputs = [];
        float[] last;
        if (model is Sequential sequential)
        {
            outputs = LayerOutputs.Collect(sequential, input);
            last = outputs[^1].Output.ToArray();
        }
        else last = model.Forward(input).ToArray();
        var probabilities = last;
        if (model.Layers.Count == 0 || model.Layers[^1] is not Softmax)
        {
            probabilities = new float[last.Length]; // a model ending in logits
            System.Numerics.Tensors.TensorPrimitives.SoftMax(last, probabilities);
        }
        return new ForwardRun(framed, size, input.Reshape(shape), outputs, probabilities);
    }
}
