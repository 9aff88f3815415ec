using System.Text.Json;
using Convolve.Layers;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Tests.Training;

/// <summary>
/// The optimizers against PyTorch's, step by step. Golden/optimizers.json was written by
/// Golden/optimizers.py (PyTorch from Debian's python3-torch); see that script for the setup.
/// </summary>
public class OptimizerGoldenTests
{
    private static readonly JsonElement Golden = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Training", "Golden", "optimizers.json"))).RootElement;

    public static TheoryData<string> Cases => [.. Golden.GetProperty("cases").EnumerateObject().Select(c => c.Name)];

    private static Optimizer Create(string name, Parameter p) => name switch
    {
        "sgd" => new Sgd([p], learningRate: 0.1f, momentum: 0),
        "sgd_momentum_decay" => new Sgd([p], learningRate: 0.1f, momentum: 0.9f, weightDecay: 0.01f),
        "sgd_nesterov" => new Sgd([p], learningRate: 0.1f, momentum: 0.8f, nesterov: true),
        "adam" => new Adam([p], learningRate: 0.05f),
        "adam_l2" => new Adam([p], learningRate: 0.05f, beta1: 0.8f, beta2: 0.99f, weightDecay: 0.1f),
        "adamw" => new AdamW([p], learningRate: 0.05f, weightDecay: 0.1f),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Optimizer_MatchesPyTorch_StepByStep(string name)
    {
        float[] start = [.. Golden.GetProperty("start").EnumerateArray().Select(v => v.GetSingle())];
        float[] c = [.. Golden.GetProperty("c").EnumerateArray().Select(v => v.GetSingle())];
        var p = new Parameter("weight", new Shape(start.Length));
        start.CopyTo(p.Value.Span);
        var optimizer = Create(name, p);

        int t = 0;
        foreach (var expected in Golden.GetProperty("cases").GetProperty(name).EnumerateArray())
        {
            t++;
            for (int i = 0; i < start.Length; i++) p.Gradient[i] = 0.3f * p.Value[i] + t * c[i];
            optimizer.Step();
            float[] want = [.. expected.EnumerateArray().Select(v => v.GetSingle())];
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(p.Value[i] - want[i]) <= 1e-6f * Math.Max(1, Math.Abs(want[i])),
                    $"{name}, step {t}, element {i}: Convolve {p.Value[i]:R}, PyTorch {want[i]:R}");
        }
    }
}
