using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>
/// Compares a layer's backward pass with central finite differences of the scalar
/// <c>L = sum(output * R)</c> for a random upstream gradient R (all-ones would hide bugs: a softmax
/// output sums to 1). Sums are taken in double; the layers compute in float32, so the step is
/// 1e-2 and the tolerance is |numeric - analytic| &lt;= 2e-3 + 2e-2 * max(|numeric|, |analytic|).
/// </summary>
internal static class GradientCheck
{
    private const float Step = 1e-2f;

    /// <summary>
    /// Builds the layer for <paramref name="inputShape"/>, checks dInput for every input element
    /// and every parameter gradient element, and that Backward twice gives the same dInput.
    /// <paramref name="input"/> may supply inputs kept away from kinks (ReLU at 0, ties in max pooling).
    /// <paramref name="beforeForward"/> runs before every forward pass (e.g. to re-seed dropout).
    /// </summary>
    public static void Check(Layer layer, Shape inputShape, int seed = 1, bool training = false,
        Func<Random, Shape, Tensor>? input = null, Action<Layer>? beforeForward = null)
    {
        var random = new Random(seed);
        layer.Build(inputShape);
        layer.ResetParameters(random);
        foreach (var p in layer.Parameters.Where(p => p.Trainable))
            Fill(p.Value.Span, random); // random values, so that e.g. batch-norm weight is not all ones

        var x = input?.Invoke(random, inputShape) ?? RandomTensor(inputShape, random);
        beforeForward?.Invoke(layer);
        var output = layer.Forward(x, training);
        var upstream = RandomTensor(output.Shape, random);

        foreach (var p in layer.Parameters) p.Gradient.Clear();
        var dInput = layer.Backward(upstream).Clone();
        var parameterGradients = layer.Parameters.Select(p => p.Gradient.Clone()).ToList();

        // Backward twice for one forward pass: same dInput (parameter gradients accumulate, so they double).
        var again = layer.Backward(upstream);
        Assert.Equal(dInput.ToArray(), again.ToArray());

        double Loss()
        {
            beforeForward?.Invoke(layer);
            var y = layer.Forward(x, training).Span;
            var r = upstream.Span;
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)y[i] * r[i];
            return sum;
        }

        CompareAll("input", x.Span.Length, i => ref x[i], i => dInput[i], Loss);
        for (int k = 0; k < layer.Parameters.Count; k++)
        {
            var p = layer.Parameters[k];
            if (!p.Trainable) continue;
            var analytic = parameterGradients[k];
            CompareAll($"{p.Name}", p.Value.Length, i => ref p.Value[i], i => analytic[i], Loss);
        }
    }

    private delegate ref float Element(int index);

    private static void CompareAll(string what, int count, Element element, Func<int, float> analytic, Func<double> loss)
    {
        for (int i = 0; i < count; i++)
        {
            ref float value = ref element(i);
            float original = value;
            value = original + Step;
            double plus = loss();
            value = original - Step;
            double minus = loss();
            value = original;
            double numeric = (plus - minus) / (2 * Step);
            double exact = analytic(i);
            double tolerance = 2e-3 + 2e-2 * Math.Max(Math.Abs(numeric), Math.Abs(exact));
            Assert.True(Math.Abs(numeric - exact) <= tolerance,
                $"d{what}[{i}]: finite difference {numeric:G6}, backward {exact:G6}");
        }
    }

    /// <summary>Uniform values in [-1, 1).</summary>
    public static Tensor RandomTensor(Shape shape, Random random)
    {
        var t = new Tensor(shape);
        Fill(t.Span, random);
        return t;
    }

    private static void Fill(Span<float> values, Random random)
    {
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
    }

    /// <summary>Values at least 0.1 from zero and from each other: away from ReLU's kink and from max ties.</summary>
    public static Tensor Spread(Random random, Shape shape)
    {
        var t = new Tensor(shape);
        int[] order = [.. Enumerable.Range(0, t.Length)];
        random.Shuffle(order);
        for (int i = 0; i < order.Length; i++) t[i] = (order[i] - t.Length / 2 + 0.5f) * 0.1f;
        return t;
    }

    /// <summary>
    /// Central finite differences of L = sum(output * R) for every element of every input of a
    /// merge layer, as <see cref="Check"/> does for one-input layers; also checks that each
    /// gradient has its input's shape and that BackwardAll twice gives the same gradients.
    /// </summary>
    public static void CheckMerge(MergeLayer layer, Tensor[] inputs, Random random)
    {
        var output = layer.Forward(inputs);
        var upstream = RandomTensor(output.Shape, random);
        var analytic = layer.BackwardAll(upstream).Select(g => g.Clone()).ToArray();
        var again = layer.BackwardAll(upstream);
        for (int k = 0; k < inputs.Length; k++)
        {
            Assert.Equal(inputs[k].Shape, analytic[k].Shape);
            Assert.Equal(analytic[k].ToArray(), again[k].ToArray());
        }

        double Loss()
        {
            var y = layer.Forward(inputs).Span;
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += (double)y[i] * upstream[i];
            return sum;
        }

        const float step = 1e-2f;
        for (int k = 0; k < inputs.Length; k++)
        {
            for (int i = 0; i < inputs[k].Length; i++)
            {
                float original = inputs[k][i];
                inputs[k][i] = original + step;
                double plus = Loss();
                inputs[k][i] = original - step;
                double minus = Loss();
                inputs[k][i] = original;
                double numeric = (plus - minus) / (2 * step), exact = analytic[k][i];
                Assert.True(Math.Abs(numeric - exact) <= 2e-3 + 2e-2 * Math.Max(Math.Abs(numeric), Math.Abs(exact)),
                    $"{layer} input {k} [{i}]: finite difference {numeric:G6}, backward {exact:G6}");
            }
        }
    }
}
