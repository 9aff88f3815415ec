using System.Net;
using System.Text.Json;

namespace Convolve.Serve.Tests;

/// <summary>The Draw page's endpoints on the in-memory server, with the test model (the article's network on 6,000 digits).</summary>
public sealed class DrawApiTests
{
    private static async Task<JsonElement> OkJson(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    private static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetSingle())];

    // A layer's maps: little-endian float32 in base64.
    private static float[] Maps(JsonElement layer)
    {
        var bytes = Convert.FromBase64String(layer.GetProperty("values").GetString()!);
        return [.. Enumerable.Range(0, bytes.Length / 4).Select(i => System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i)))];
    }

    private static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetInt32())];

    [Theory]
    [InlineData("one", "1")]
    [InlineData("zero", "0")]
    public async Task Predict_RecognisesADrawnDigit_AndSendsEveryLayersMaps(string digit, string expected)
    {
        await using var host = await ServeTestHost.StartAsync(TrainedModel.Path);
        var pixels = digit == "one" ? DrawSketches.One() : DrawSketches.Zero();
        var answer = await OkJson(await host.PostAsync("/api/draw/predict", DrawSketches.Request(pixels)));

        var probabilities = Floats(answer.GetProperty("probabilities"));
        Assert.Equal(10, probabilities.Length);
        Assert.Equal(1, probabilities.Sum(), 3);
        int best = answer.GetProperty("best").GetInt32();
        Assert.Equal(probabilities.Max(), probabilities[best]);
        Assert.Equal(expected, answer.GetProperty("classes")[best].GetString());

        // The framed input: 28x28, centred by mass.
        var input = Floats(answer.GetProperty("input28"));
        Assert.Equal(28 * 28, input.Length);
        var (row, column) = Convolve.Data.DigitFraming.CentreOfMass(input, 28, 28);
        Assert.InRange(row, 13.5, 14.5);
        Assert.InRange(column, 13.5, 14.5);

        // conv2d 32x26x26, relu, maxpool 32x13x13: the layers with maps, each with its values.
        var layers = answer.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], layers.Select(l => l.GetProperty("index").GetInt32()));
        Assert.Equal([32, 26, 26], Ints(layers[0].GetProperty("shape")));
        Assert.Equal([32, 13, 13], Ints(layers[2].GetProperty("shape")));
        Assert.StartsWith("Conv2D", layers[0].GetProperty("kind").GetString());
        foreach (var layer in layers)
        {
            var shape = Ints(layer.GetProperty("shape"));
            int shown = layer.GetProperty("shownChannels").GetInt32();
            var values = Maps(layer);
            Assert.Equal(shown * shape[1] * shape[2], values.Length);
            Assert.Contains(values, v => v != 0);
        }
        // The ReLU's maps are the convolution's, rectified.
        var conv = Maps(layers[0]);
        var relu = Maps(layers[1]);
        for (int i = 0; i < conv.Length; i++) Assert.Equal(MathF.Max(0, conv[i]), relu[i]);
    }

    [Theory]
    [InlineData(0)] // the convolution itself
    [InlineData(1)] // its ReLU
    public async Task Explain_FirstConvolution_SumOfProductsPlusBias_IsTheEnginesValue(int layer)
    {
        await using var host = await ServeTestHost.StartAsync(TrainedModel.Path);
        var pixels = DrawSketches.Zero();
        var prediction = await OkJson(await host.PostAsync("/api/draw/predict", DrawSketches.Request(pixels)));
        var conv = Maps(prediction.GetProperty("layers")[0]);
        var clicked = Maps(prediction.GetProperty("layers")[layer]);

        // Several places in several maps, on the ring and off it.
        foreach (var (channel, y, x) in new[] { (0, 13, 13), (5, 3, 12), (17, 20, 8), (31, 0, 25), (9, 25, 0) })
        {
            var answer = await OkJson(await host.PostAsync("/api/draw/explain", DrawSketches.Explain(pixels, layer, channel, y, x)));
            int at = (channel * 26 + y) * 26 + x;
            Assert.Equal(clicked[at], answer.GetProperty("value").GetSingle());

            var a = answer.GetProperty("arithmetic");
            Assert.Equal([1, 3, 3], Ints(a.GetProperty("windowShape")));
            var window = Floats(a.GetProperty("window"));
            var kernel = Floats(a.GetProperty("kernel"));
            var products = Floats(a.GetProperty("products"));
            float bias = a.GetProperty("bias").GetSingle();
            // A plain recomputation from what the server showed: window . kernel + bias.
            double recomputed = bias;
            for (int t = 0; t < 9; t++)
            {
                Assert.Equal(window[t] * kernel[t], products[t]);
                recomputed += window[t] * kernel[t];
            }
            float pre = a.GetProperty("preActivation").GetSingle();
            Assert.Equal(recomputed, pre, 5);
            Assert.Equal(a.GetProperty("sum").GetSingle() + bias, pre, 5);
            // ... equals the engine's value in the feature map that predict sent.
            Assert.Equal(conv[at], pre, 4);
            Assert.Equal(conv[at], a.GetProperty("engineValue").GetSingle());
            Assert.Equal(MathF.Max(0, pre), a.GetProperty("afterRelu").GetSingle());
            // The window is the input under the kernel: the 3x3 receptive field at (y, x).
            var field = answer.GetProperty("receptiveField");
            Assert.Equal([y, x, 3, 3], new[] { "top", "left", "height", "width" }.Select(p => field.GetProperty(p).GetInt32()));
            var input = Floats(prediction.GetProperty("input28"));
            for (int t = 0; t < 9; t++) Assert.Equal(input[(y + t / 3) * 28 + x + t % 3], window[t]);
        }
    }

    [Fact]
    public async Task Explain_Pooling_GivesItsReceptiveField_AndNoArithmetic()
    {
        await using var host = await ServeTestHost.StartAsync(TrainedModel.Path);
        var pixels = DrawSketches.One();
        // Pool output (y, x) reads conv rows 2y..2y+1, which read input rows 2y..2y+3: a 4x4 field.
        var answer = await OkJson(await host.PostAsync("/api/draw/explain", DrawSketches.Explain(pixels, 2, 4, 6, 12)));
        var field = answer.GetProperty("receptiveField");
        Assert.Equal([12, 24, 4, 4], new[] { "top", "left", "height", "width" }.Select(p => field.GetProperty(p).GetInt32()));
        Assert.True(field.GetProperty("exact").GetBoolean());
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("arithmetic").ValueKind);
        var prediction = await OkJson(await host.PostAsync("/api/draw/predict", DrawSketches.Request(pixels)));
        var pooled = Maps(prediction.GetProperty("layers")[2]);
        Assert.Equal(pooled[(4 * 13 + 6) * 13 + 12], answer.GetProperty("value").GetSingle());
    }

    public static TheoryData<string, object, string> BadRequests()
    {
        var one = DrawSketches.One();
        const int side = DrawSketches.Side;
        return new()
        {
            { "predict", new { model = "digits", width = 513, height = 10, pixels = new float[5130] }, "width is 513; it must be 1 to 512" },
            { "predict", new { model = "digits", width = 10, height = 0, pixels = Array.Empty<float>() }, "height is 0; it must be 1 to 512" },
            { "predict", new { model = "digits", width = side, height = side, pixels = new float[100] }, "pixels has 100 values; a 112x112 grid needs 12544" },
            { "predict", new { model = "digits", width = side, height = side }, "pixels is missing" },
            { "predict", "{\"model\":\"digits\",\"width\":2,\"height\":1,\"pixels\":[0.5,\"NaN\"]}", "pixels[1] is NaN; every value must be a number in 0..1" },
            {
                "predict", new { model = "digits", width = 2, height = 1, pixels = new[] { 0.5f, 1.5f } },
                "pixels[1] is 1.5; every value must be a number in 0..1"
            },
            { "predict", new { model = "digits", width = 2, height = 1, pixels = new[] { -0.25f, 1f } }, "pixels[0] is -0.25" },
            { "predict", DrawSketches.Request(new float[side * side]), "the drawing is empty; draw something" },
            { "predict", DrawSketches.Request(one, model: "nothing"), "No model called 'nothing'; the models are: digits." },
            { "predict", new { width = side, height = side, pixels = one }, "No model named; the models are: digits." },
            { "predict", "this is not JSON", "The request is not valid JSON for this endpoint" },
            { "predict", "{\"model\":\"digits\",\"width\":\"wide\"}", "The request is not valid JSON for this endpoint (at $.width)." },
            { "predict", "", "The request is not valid JSON" },
            { "explain", DrawSketches.Explain(one, 7, 0, 0, 0), "layer is 7; it must be 0 to 5, a layer with feature maps (0, 1, 2)" },
            { "explain", DrawSketches.Explain(one, -1, 0, 0, 0), "layer is -1; it must be 0 to 5" },
            { "explain", DrawSketches.Explain(one, 4, 0, 0, 0), "layer 4 (dense_1) has no feature maps; the layers with maps are 0, 1, 2" },
            { "explain", DrawSketches.Explain(one, 0, 32, 0, 0), "channel is 32; it must be 0 to 31 (conv2d_1 has 32 maps)" },
            { "explain", DrawSketches.Explain(one, 0, 0, 26, 0), "y is 26; it must be 0 to 25 (conv2d_1's maps have 26 rows)" },
            { "explain", DrawSketches.Explain(one, 2, 0, 0, 13), "x is 13; it must be 0 to 12 (maxpool2d_1's maps have 13 columns)" },
            { "explain", DrawSketches.Explain(one, 0, 0, -1, 0), "y is -1; it must be 0 to 25" },
            { "explain", DrawSketches.Request(one), "layer is missing" },
            { "explain", new { model = "digits", width = side, height = side, pixels = one, layer = 0, y = 0, x = 0 }, "channel is missing" },
        };
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequests_Get400WithAOneLineReason_AndTheServerGoesOn(string endpoint, object body, string reason)
    {
        await using var host = await ServeTestHost.StartAsync(TrainedModel.Path);
        using var response = await host.PostAsync("/api/draw/" + endpoint, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string error = await ServeTestHost.ErrorOf(response);
        Assert.Contains(reason, error);
        Assert.DoesNotContain('\n', error);
        Assert.DoesNotContain("Exception", error);

        var after = await OkJson(await host.PostAsync("/api/draw/predict", DrawSketches.Request(DrawSketches.One())));
        Assert.Equal("1", after.GetProperty("classes")[after.GetProperty("best").GetInt32()].GetString());
    }

    [Fact]
    public async Task NotJson_ContentType_IsRefused()
    {
        await using var host = await ServeTestHost.StartAsync(TrainedModel.Path);
        using var response = await host.Client.PostAsync("/api/draw/predict", new StringContent("width=3", System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Send the drawing as JSON (Content-Type: application/json).", await ServeTestHost.ErrorOf(response));
    }

    [Fact]
    public async Task NoModels_PredictSaysHowToGetOne()
    {
        await using var host = await ServeTestHost.StartAsync();
        using var response = await host.PostAsync("/api/draw/predict", DrawSketches.Request(DrawSketches.One(), model: "digits"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("pass model files to 'convolve serve' or train one on the Train page", await ServeTestHost.ErrorOf(response));
    }
}
