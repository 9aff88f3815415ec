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

    // Each case's optimizer and its learning rate, as Golden/optimizers.py sets them.
    private static (Optimizer Optimizer, float LearningRate) Create(string name, Parameter p) => name switch
    {
        "sgd" => (new Sgd([p], momentum: 0), 0.1f),
        "sgd_momentum_decay" => (new Sgd([p], momentum: 0.9f, weightDecay: 0.01f), 0.1f),
        "sgd_nesterov" => (new Sgd([p], momentum: 0.8f, nesterov: true), 0.1f),
        "adam" => (new Adam([p]), 0.05f),
        "adam_l2" => (new Adam([p], beta1: 0.8f, beta2: 0.99f, weightDecay: 0.1f), 0.05f),
        "adamw" => (new AdamW([p], weightDecay: 0.1f), 0.05f),
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
        var (optimizer, learningRate) = Create(name, p);

        int t = 0;
        foreach (var expected in Golden.GetProperty("cases").GetProperty(name).EnumerateArray())
        {
            t++;
            for (int i = 0; i < start.Length; i++) p.Gradient[i] = 0.3f * p.Value[i] + t * c[i];
            optimizer.Step(learningRate);
            float[] want = [.. expected.EnumerateArray().Select(v => v.GetSingle())];
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(p.Value[i] - want[i]) <= 1e-6f * Math.Max(1, Math.Abs(want[i])),
                    $"{name}, step {t}, element {i}: Convolve {p.Value[i]:R}, PyTorch {want[i]:R}");
        }
    }
}
