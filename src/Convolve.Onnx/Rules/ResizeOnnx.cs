using Convolve.Layers;
using Convolve.Onnx.Protos;
using Convolve.Tensors;
using static Convolve.Onnx.OnnxGraphBuilder;

namespace Convolve.Onnx.Rules;

/// <summary>
/// Resize in ONNX: Resize (opsets 10 to 19) and Upsample (opsets 7 and 9) import as a
/// <see cref="Layers.Resize"/>; it exports as Resize at opset 13.
/// </summary>
internal static class ResizeOnnx
{
    /// <summary>
    /// A Resize node. Opset 10 has a scales input and a mode only (asymmetric coordinates, as
    /// Upsample); from opset 11 the inputs are X, roi, scales, sizes, with one of scales and sizes
    /// given, and the coordinate mapping and nearest rounding are attributes. Opset 18's axes may
    /// name H and W; its antialias and keep_aspect_ratio_policy other than stretch are refused, as
    /// are cubic, tf_crop_and_resize and scales other than 1 on N and C.
    /// </summary>
    [OnnxImport("Resize")]
    public static Layers.Resize Resize(OnnxNode node, Shape inputShape)
    {
        RequireImage(node, inputShape);
        var n = node.Proto;
        var mode = Mode(node);
        if (node.Opset < 11)
            return Asymmetric(node, mode, Scales(node, 1, inputShape, axes: null) ?? throw node.Refuse("input 1 (scales) is missing"));

        string coordinates = n.GetString("coordinate_transformation_mode", "half_pixel");
        var mapping = coordinates switch
        {
            "half_pixel" => ResizeCoordinates.HalfPixel,
            "pytorch_half_pixel" => ResizeCoordinates.PytorchHalfPixel,
            "align_corners" => ResizeCoordinates.AlignCorners,
            "asymmetric" => ResizeCoordinates.Asymmetric,
            "tf_half_pixel_for_nn" => ResizeCoordinates.TfHalfPixelForNN,
            _ => throw node.Refuse($"coordinate_transformation_mode '{coordinates}' is not supported " +
                "(Convolve has half_pixel, pytorch_half_pixel, align_corners, asymmetric and tf_half_pixel_for_nn)"),
        };
        string nearest = n.GetString("nearest_mode", "round_prefer_floor");
        var rounding = nearest switch
        {
            "round_prefer_floor" => ResizeRounding.RoundPreferFloor,
            "round_prefer_ceil" => ResizeRounding.RoundPreferCeil,
            "floor" => ResizeRounding.Floor,
            "ceil" => ResizeRounding.Ceil,
            _ => throw node.Refuse($"nearest_mode '{nearest}' is not an ONNX value (round_prefer_floor, round_prefer_ceil, floor, ceil)"),
        };
        if (n.GetInt("antialias", 0) != 0)
            throw node.Refuse($"antialias {n.GetInt("antialias", 0)} is not supported (Convolve resizes without an antialiasing filter)");
        string policy = n.GetString("keep_aspect_ratio_policy", "stretch");
        if (policy != "stretch")
            throw node.Refuse($"keep_aspect_ratio_policy '{policy}' is not supported (Convolve resizes to the sizes given: stretch)");
        long[]? axes = n.GetInts("axes");
        if (axes is not null && !(axes.Select(a => a < 0 ? a + 4 : a).SequenceEqual([2L, 3L])))
            throw node.Refuse($"axes [{string.Join(", ", axes)}] are not supported (Convolve resizes H and W: axes [2, 3])");

        var scales = Scales(node, 2, inputShape, axes);
        bool hasSizes = node.HasInput(3) && OnnxTensor.ElementCount(node.Constant(3), node.Where) > 0;
        if (scales is not null && hasSizes) throw node.Refuse("both scales and sizes are given; ONNX allows one of them");
        if (scales is null && !hasSizes) throw node.Refuse("neither scales nor sizes is given");
        if (scales is { } s) return OnnxRule.Construct(node, () => new Layers.Resize(s.H, s.W, mode, mapping, rounding));
        var (h, w) = Sizes(node, inputShape, axes);
        return OnnxRule.Construct(node, () => Layers.Resize.ToSize(h, w, mode, mapping, rounding));
    }

    /// <summary>
    /// An Upsample node: scales as an attribute (opset 7) or an input (opset 9), asymmetric
    /// coordinates and, for nearest, the input pixel at or before the mapped coordinate.
    /// </summary>
    [OnnxImport("Upsample")]
    public static Layers.Resize Upsample(OnnxNode node, Shape inputShape)
    {
        RequireImage(node, inputShape);
        var mode = Mode(node);
        (float, float)? scales = node.Opset < 9
            ? ScaleValues(node, node.Proto.GetFloats("scales") ?? throw new OnnxFormatException($"{node.Where}: the required attribute scales is missing."),
                "scales", inputShape, axes: null)
            : Scales(node, 1, inputShape, axes: null);
        return Asymmetric(node, mode, scales ?? throw node.Refuse("input 1 (scales) is missing"));
    }

    /// <summary>
    /// The Resize node at opset 13: scales as an initializer, or, for a fixed output size, sizes
    /// computed from the input's N and C (Shape -> Slice -> Concat) so the batch stays open.
    /// </summary>
    [OnnxExport]
    public static string Export(OnnxGraphBuilder graph, Layers.Resize resize, string input, Shape inputShape, string output)
    {
        string name = resize.Name;
        List<AttributeProto> attributes =
        [
            String("mode", resize.Mode == ResizeInterpolation.Nearest ? "nearest" : "linear"),
            String("coordinate_transformation_mode", resize.Coordinates switch
            {
                ResizeCoordinates.HalfPixel => "half_pixel",
                ResizeCoordinates.PytorchHalfPixel => "pytorch_half_pixel",
                ResizeCoordinates.AlignCorners => "align_corners",
                ResizeCoordinates.Asymmetric => "asymmetric",
                _ => "tf_half_pixel_for_nn",
            }),
        ];
        if (resize.Mode == ResizeInterpolation.Nearest)
        {
            attributes.Add(String("nearest_mode", resize.Rounding switch
            {
                ResizeRounding.RoundPreferFloor => "round_prefer_floor",
                ResizeRounding.RoundPreferCeil => "round_prefer_ceil",
                ResizeRounding.Floor => "floor",
                _ => "ceil",
            }));
        }
        if (!resize.IsSized)
        {
            var scales = new Tensor(new Shape(4), [1f, 1f, resize.ScaleH, resize.ScaleW]);
            return graph.AddNode("Resize", name, [input, "", graph.Initializer($"{name}.scales", scales)], output, [.. attributes]);
        }
        string shape = graph.AddNode("Shape", $"{name}.shape", [input], $"{name}.input_shape");
        string batchAndChannels = graph.AddNode("Slice", $"{name}.slice", [shape, graph.Int64Initializer($"{name}.starts", [0]),
            graph.Int64Initializer($"{name}.ends", [2])], $"{name}.batch_and_channels");
        string sizes = graph.AddNode("Concat", $"{name}.concat", [batchAndChannels, graph.Int64Initializer($"{name}.size", [resize.Height, resize.Width])],
            $"{name}.sizes", Int("axis", 0));
        return graph.AddNode("Resize", name, [input, "", "", sizes], output, [.. attributes]);
    }

    private static void RequireImage(OnnxNode node, Shape inputShape)
    {
        if (inputShape.Rank != 4)
            throw node.Refuse($"input {node.Show(inputShape)} is not [N, C, H, W]; Convolve resizes 2-D images only");
    }

    private static ResizeInterpolation Mode(OnnxNode node) => node.Proto.GetString("mode", "nearest") switch
    {
        "nearest" => ResizeInterpolation.Nearest,
        "linear" or "bilinear" => ResizeInterpolation.Linear,
        var other => throw node.Refuse($"mode '{other}' is not supported (Convolve has nearest and linear)"),
    };

    // Upsample and opset-10 Resize: asymmetric coordinates; nearest takes the pixel at or before
    // the coordinate when enlarging (as ONNX Runtime does). ONNX Runtime rounds up when shrinking,
    // which the spec does not say: refused.
    private static Layers.Resize Asymmetric(OnnxNode node, ResizeInterpolation mode, (float H, float W) scales)
    {
        if (mode == ResizeInterpolation.Nearest && (scales.H < 1 || scales.W < 1))
            throw node.Refuse($"nearest resizing by scales {scales.H} and {scales.W} shrinks the image, whose rounding opset {node.Opset} " +
                "does not define; Convolve takes nearest scales of at least 1 here (opset 11 and later name the rounding)");
        return OnnxRule.Construct(node, () => new Layers.Resize(scales.H, scales.W, mode, ResizeCoordinates.Asymmetric, ResizeRounding.Floor));
    }

    // The H and W scales of input i, or null when it is missing or empty.
    private static (float H, float W)? Scales(OnnxNode node, int i, Shape inputShape, long[]? axes)
    {
        if (!node.HasInput(i) || OnnxTensor.ElementCount(node.Constant(i), node.Where) == 0) return null;
        return ScaleValues(node, node.Float(i).ToArray(), "scales", inputShape, axes);
    }

    private static (float H, float W) ScaleValues(OnnxNode node, float[] scales, string what, Shape inputShape, long[]? axes)
    {
        if (axes is not null)
        {
            if (scales.Length != 2) throw node.Refuse($"{what} [{string.Join(", ", scales)}] has {scales.Length} values, expected 2 for axes [2, 3]");
            scales = [1, 1, .. scales];
        }
        if (scales.Length != 4)
            throw node.Refuse($"{what} [{string.Join(", ", scales)}] has {scales.Length} values, expected 4 for input {node.Show(inputShape)}");
        if (scales[0] != 1 || scales[1] != 1)
            throw node.Refuse($"{what} [{string.Join(", ", scales)}] resize the batch or the channels; Convolve resizes H and W only (scales 1 on N and C)");
        if (!(scales[2] > 0 && scales[3] > 0 && float.IsFinite(scales[2]) && float.IsFinite(scales[3])))
            throw node.Refuse($"{what} [{string.Join(", ", scales)}] are not positive");
        return (scales[2], scales[3]);
    }

    // The output H and W of the sizes input; its first entry may be 0, the batch left open at import.
    private static (int H, int W) Sizes(OnnxNode node, Shape inputShape, long[]? axes)
    {
        long[] sizes = node.Ints(3);
        if (axes is not null)
        {
            if (sizes.Length != 2) throw node.Refuse($"sizes [{string.Join(", ", sizes)}] has {sizes.Length} values, expected 2 for axes [2, 3]");
            sizes = [inputShape[0], inputShape[1], .. sizes];
        }
        if (sizes.Length != 4)
            throw node.Refuse($"sizes [{string.Join(", ", sizes)}] has {sizes.Length} values, expected 4 for input {node.Show(inputShape)}");
        if ((sizes[0] != 0 && sizes[0] != inputShape[0]) || sizes[1] != inputShape[1])
        {
            throw node.Refuse($"sizes [{string.Join(", ", sizes)}] resize the batch or the channels of input {node.Show(inputShape)}; " +
                "Convolve resizes H and W only");
        }
        if (sizes[2] <= 0 || sizes[3] <= 0 || sizes[2] > int.MaxValue || sizes[3] > int.MaxValue)
            throw node.Refuse($"sizes [{string.Join(", ", sizes)}] are not positive");
        return ((int)sizes[2], (int)sizes[3]);
    }
}
