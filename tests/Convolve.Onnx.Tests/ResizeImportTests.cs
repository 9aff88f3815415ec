using Convolve.Layers;
using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Xunit.Abstractions;
using static Convolve.Onnx.Tests.TestGraph;

namespace Convolve.Onnx.Tests;

/// <summary>
/// Resize and Upsample on import: PyTorch's exports of nn.Upsample and F.interpolate (see
/// PyTorch/make_resize_models.py) against PyTorch and ONNX Runtime, the conformance vectors'
/// refusals, hand-written graphs for the opsets the vectors lack, and the messages.
/// </summary>
public sealed class ResizeImportTests(ITestOutputHelper log)
{
    public static TheoryData<string> PyTorchNames() =>
    [
        "resize_nearest_opset11", "resize_bilinear_opset11", "resize_bilinear_corners_opset11",
        "resize_nearest_opset13", "resize_bilinear_opset13", "resize_bilinear_corners_opset13",
        "resize_sized_opset13", "resize_recomputed_opset13",
    ];

    private static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "PyTorch", file);

    [Theory]
    [MemberData(nameof(PyTorchNames))]
    public void PyTorchExport_ImportsAndMatchesPyTorchAndOnnxRuntime_AtAnyBatch(string name)
    {
        var onnx = OnnxModel.Load(PathOf($"{name}.onnx"));
        var model = OnnxImporter.Import(onnx);
        log.WriteLine($"{name}: nodes {string.Join(", ", onnx.Graph.Node.Select(n => n.OpType))}; imported as {model}");
        Assert.Contains(model.Layers, l => l is Resize);
        var input = OnnxTensor.ToTensor(OnnxTensor.Load(PathOf($"{name}.input.pb")));
        var golden = OnnxTensor.ToTensor(OnnxTensor.Load(PathOf($"{name}.output.pb")));
        double worst = OnnxExporterTests.AssertClose(golden, TestModels.Forward(model, input), $"{name}: Convolve vs PyTorch");

        using var runtime = new OnnxRuntimeRunner(File.ReadAllBytes(PathOf($"{name}.onnx")));
        var other = TestModels.RandomInput(model, batch: 3, seed: 4);
        double runtimeWorst = OnnxExporterTests.AssertClose(runtime.Run(other), TestModels.Forward(model, other), $"{name}: Convolve vs ONNX Runtime, batch 3");
        log.WriteLine($"{name}: largest relative difference: to PyTorch {worst:E2}, to ONNX Runtime at batch 3 {runtimeWorst:E2}");
    }

    /// <summary>Hand-written Resize graphs of every opset the importer reads, each run in ONNX Runtime too.</summary>
    public static TheoryData<string, long, string, string, string> Graphs() => new()
    {
        // name, opset, mode, coordinate_transformation_mode, nearest_mode ("" for none written)
        { "opset10 nearest", 10, "nearest", "", "" },
        { "opset10 linear", 10, "linear", "", "" },
        { "opset11 nearest ceil", 11, "nearest", "half_pixel", "ceil" },
        { "opset11 tf nn", 11, "nearest", "tf_half_pixel_for_nn", "round_prefer_ceil" },
        { "opset13 linear asymmetric", 13, "linear", "asymmetric", "" },
        { "opset13 nearest pytorch", 13, "nearest", "pytorch_half_pixel", "round_prefer_floor" },
        { "opset18 linear", 18, "linear", "half_pixel", "" },
        { "opset19 nearest floor", 19, "nearest", "align_corners", "floor" },
    };

    [Theory]
    [MemberData(nameof(Graphs))]
    public void ResizeNode_OfEachOpset_MatchesOnnxRuntime(string name, long opset, string mode, string coordinates, string nearest)
    {
        foreach (float[] scales in (float[][])[[1, 1, 2, 3], [1, 1, 1.5f, 0.7f], [1, 1, 0.5f, 2.5f], [1, 1, 0.7f, 1.25f]])
        {
            if (opset == 10 && mode == "nearest" && scales.Any(s => s < 1)) continue;
            // 4 * 0.7 and 10 * 1.25 are fractional: there align_corners follows ONNX's definition, not ONNX Runtime (see below).
            if (coordinates == "align_corners" && scales[2] == 0.7f) continue;
            var g = new TestGraph(opset, 2, 4, 10);
            var s = g.ConstantNode("scales", new Tensor(new Shape(4), scales));
            List<AttributeProto> attributes = [String("mode", mode)];
            if (coordinates.Length > 0) attributes.Add(String("coordinate_transformation_mode", coordinates));
            if (nearest.Length > 0) attributes.Add(String("nearest_mode", nearest));
            string[] inputs = opset == 10 ? ["x", s] : opset < 13 ? ["x", EmptyRoi(g), s] : ["x", "", s];
            g.Node("Resize", "resize", inputs, [.. attributes]);
            var bytes = g.Finish("resize");
            var model = OnnxImporter.Import(OnnxModel.Parse(bytes, $"{name}.onnx"));
            using var runtime = new OnnxRuntimeRunner(bytes);
            var input = TestModels.RandomInput(model, batch: 2, seed: 6);
            double worst = OnnxExporterTests.AssertClose(runtime.Run(input, "x", "resize"), TestModels.Forward(model, input),
                $"{name}, scales [{string.Join(", ", scales)}]");
            log.WriteLine($"{name}, scales [{string.Join(", ", scales)}]: {model.Layers.Single()}, largest difference {worst:E2}");
        }
    }

    [Theory]
    [InlineData(7, "nearest")]
    [InlineData(7, "linear")]
    [InlineData(9, "nearest")]
    [InlineData(9, "linear")]
    public void UpsampleNode_MatchesOnnxRuntime(long opset, string mode)
    {
        var g = new TestGraph(opset, 2, 3, 5);
        float[] scales = [1, 1, 2, 1.5f];
        if (opset < 9) g.Node("Upsample", "up", ["x"], String("mode", mode), FloatsAttribute("scales", scales));
        else g.Node("Upsample", "up", ["x", g.ConstantNode("scales", new Tensor(new Shape(4), scales))], String("mode", mode));
        var bytes = g.Finish("up");
        var model = OnnxImporter.Import(OnnxModel.Parse(bytes, "up.onnx"));
        using var runtime = new OnnxRuntimeRunner(bytes);
        var input = TestModels.RandomInput(model, batch: 2, seed: 8);
        double worst = OnnxExporterTests.AssertClose(runtime.Run(input, "x", "up"), TestModels.Forward(model, input), $"Upsample-{opset} {mode}");
        log.WriteLine($"Upsample-{opset} {mode}: {model.Layers.Single()}, largest difference {worst:E2}");
    }

    private static AttributeProto FloatsAttribute(string name, float[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.Add(values);
        return a;
    }

    /// <summary>
    /// align_corners with scales whose product with the input size is fractional: ONNX defines the
    /// resized length as in * scale unrounded (its vector test_resize_downsample_scales_linear_align_corners
    /// expects 3.142857 = 1 + 3 / 1.4 for [1, 2, 3, 4] by 0.6), and Convolve follows it; ONNX Runtime
    /// uses the rounded output size (1 + 3 / 1 = 4). Whole products, as PyTorch's scale_factor=2 gives,
    /// agree in both.
    /// </summary>
    [Fact]
    public void AlignCorners_WithAFractionalResizedLength_FollowsOnnxNotOnnxRuntime()
    {
        var g = new TestGraph(13, 1, 2, 4);
        var scales = g.ConstantNode("scales", new Tensor(new Shape(4), [1, 1, 0.6f, 0.6f]));
        g.Node("Resize", "resize", ["x", "", scales], String("mode", "linear"), String("coordinate_transformation_mode", "align_corners"));
        var bytes = g.Finish("resize");
        var input = new Tensor(new Shape(1, 1, 2, 4), [1, 2, 3, 4, 5, 6, 7, 8]);
        var ours = TestModels.Forward(OnnxImporter.Import(OnnxModel.Parse(bytes, "corners.onnx")), input).ToArray();
        using var runtime = new OnnxRuntimeRunner(bytes);
        var theirs = runtime.Run(input, "x", "resize").ToArray();
        log.WriteLine($"Convolve [{string.Join(", ", ours)}], ONNX Runtime [{string.Join(", ", theirs)}]");
        Assert.Equal(1f, ours[0]);
        Assert.Equal(1 + (3 / 1.4f), ours[1], 1e-5f);
        Assert.Equal(4f, theirs[1]);
    }

    // The attributes go by name: their protobuf type is internal to the importer.
    private static readonly Dictionary<string, AttributeProto[]> RefusedAttributes = new()
    {
        ["cubic"] = [String("mode", "cubic")],
        ["crop"] = [String("mode", "linear"), String("coordinate_transformation_mode", "tf_crop_and_resize")],
        ["antialias"] = [String("mode", "linear"), Int("antialias", 1)],
        ["policy"] = [String("keep_aspect_ratio_policy", "not_larger")],
        ["axes"] = [Ints("axes", 1, 2, 3)],
    };

    public static TheoryData<string, string> Refusals() => new()
    {
        { "cubic", "Resize node 'resize': mode 'cubic' is not supported (Convolve has nearest and linear)." },
        { "crop", "Resize node 'resize': coordinate_transformation_mode 'tf_crop_and_resize' is not supported " +
            "(Convolve has half_pixel, pytorch_half_pixel, align_corners, asymmetric and tf_half_pixel_for_nn)." },
        { "antialias", "Resize node 'resize': antialias 1 is not supported (Convolve resizes without an antialiasing filter)." },
        { "policy", "Resize node 'resize': keep_aspect_ratio_policy 'not_larger' is not supported (Convolve resizes to the sizes given: stretch)." },
        { "axes", "Resize node 'resize': axes [1, 2, 3] are not supported (Convolve resizes H and W: axes [2, 3])." },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void UnsupportedAttribute_IsRefused_NamingTheNodeAndTheValue(string name, string expected)
    {
        var g = new TestGraph(19, 2, 4, 4);
        var scales = g.ConstantNode("scales", new Tensor(new Shape(4), [1, 1, 2, 2]));
        g.Node("Resize", "resize", ["x", "", scales], RefusedAttributes[name]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish("resize"), $"{name}.onnx")));
        Assert.Equal($"{name}.onnx: {expected}", e.Message);
    }

    [Theory]
    [InlineData(13, new[] { 2f, 1, 2, 2 }, "scales [2, 1, 2, 2] resize the batch or the channels; Convolve resizes H and W only (scales 1 on N and C)")]
    [InlineData(13, new[] { 1f, 1, 2 }, "scales [1, 1, 2] has 3 values, expected 4 for input [N, 2, 4, 4]")]
    [InlineData(10, new[] { 1f, 1, 0.5f, 2 }, "nearest resizing by scales 0.5 and 2 shrinks the image, whose rounding opset 10 does not define; " +
        "Convolve takes nearest scales of at least 1 here (opset 11 and later name the rounding)")]
    public void BadScales_AreRefused_SayingWhy(long opset, float[] values, string expected)
    {
        var g = new TestGraph(opset, 2, 4, 4);
        var scales = g.ConstantNode("scales", new Tensor(new Shape(values.Length), values));
        g.Node("Resize", "resize", opset == 10 ? ["x", scales] : ["x", "", scales]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(g.Finish("resize"), "m.onnx")));
        Assert.Equal($"m.onnx: Resize node 'resize': {expected}.", e.Message);
    }

    [Fact]
    public void SizesAndAxes_NameHeightAndWidth_AndSizesOnTheChannelsAreRefused()
    {
        var g = new TestGraph(18, 2, 4, 4);
        g.Node("Resize", "resize", ["x", "", "", g.Int64s("sizes", 6, 10)], Ints("axes", -2, -1), String("mode", "linear"));
        var layer = Assert.IsType<Resize>(OnnxImporter.Import(OnnxModel.Parse(g.Finish("resize"), "m.onnx")).Layers.Single());
        Assert.Equal((6, 10, ResizeInterpolation.Linear), (layer.Height, layer.Width, layer.Mode));

        var bad = new TestGraph(13, 2, 4, 4);
        bad.Node("Resize", "resize", ["x", "", "", bad.Int64s("sizes", 1, 3, 8, 8)]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(OnnxModel.Parse(bad.Finish("resize"), "m.onnx")));
        Assert.Equal("m.onnx: Resize node 'resize': sizes [1, 3, 8, 8] resize the batch or the channels of input [N, 2, 4, 4]; " +
            "Convolve resizes H and W only.", e.Message);
    }

    /// <summary>
    /// Of ONNX's Resize and Upsample vectors, the importer refuses exactly the cubic ones and
    /// tf_crop_and_resize (each refusal naming the attribute value); the conformance tests check
    /// that every other one matches.
    /// </summary>
    [DataFact(TestData.OnnxVectors)]
    public void ConformanceVectors_RefusedAreCubicAndCropOnly()
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var names = OnnxTestData.ImportCases.Where(kv => kv.Value is "Resize" or "Upsample").Select(kv => kv.Key).ToList();
        Assert.True(names.Count >= 20, $"only {names.Count} Resize and Upsample vectors found");
        foreach (string name in names)
        {
            var test = OnnxTestData.Load(name);
            var set = test.DataSets.First();
            var proto = test.Model.Proto.Clone();
            foreach (var (valueName, tensor) in set.Inputs)
            {
                if (valueName == test.Node.Input[0]) continue;
                var constant = tensor.Clone();
                constant.Name = valueName;
                proto.Graph.Initializer.Add(constant);
            }
            string? refusal = null;
            try { OnnxImporter.Import(OnnxModel.Parse(Google.Protobuf.MessageExtensions.ToByteArray(proto), name)); }
            catch (OnnxImportException e) { refusal = e.Message; }
            log.WriteLine($"{name}: {refusal ?? "imports"}");
            if (name.Contains("cubic")) Assert.Contains("mode 'cubic' is not supported", refusal);
            else if (name.Contains("crop")) Assert.Contains("coordinate_transformation_mode 'tf_crop_and_resize' is not supported", refusal);
            else Assert.Null(refusal);
        }
    }

    // Opset 11 and 12 require the roi input; an empty FLOAT tensor, as PyTorch writes it.
    private static string EmptyRoi(TestGraph g)
    {
        var roi = new TensorProto { Name = "roi", DataType = (int)TensorProto.Types.DataType.Float };
        roi.Dims.Add(0);
        g.Graph.Initializer.Add(roi);
        return roi.Name;
    }
}
