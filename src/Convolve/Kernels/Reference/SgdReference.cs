namespace Convolve.Kernels.Reference;

/// <summary>The stochastic gradient descent update by a plain loop: the definition.</summary>
internal static class SgdReference
{
    /// <summary>
    /// One step on one tensor, value by value: <c>g = gradient + weightDecay * value</c>; without
    /// momentum (<paramref name="velocity"/> empty) <c>value -= learningRate * g</c>; with it
    /// <c>velocity = momentum * velocity + g</c>, then <c>value -= learningRate * velocity</c>, or
    /// with Nesterov <c>value -= learningRate * (g + momentum * velocity)</c>. Each product is
    /// rounded before its sum (no fused multiply-add), so a vector form can give the same bits.
    /// </summary>
    public static void Update(Span<float> value, ReadOnlySpan<float> gradient, Span<float> velocity,
        float learningRate, float momentum, bool nesterov, float weightDecay)
    {
        for (int i = 0; i < value.Length; i++)
        {
            float g = gradient[i] + weightDecay * value[i];
            if (velocity.IsEmpty)
            {
                value[i] -= learningRate * g;
                continue;
            }
            float v = momentum * velocity[i] + g;
            velocity[i] = v;
            value[i] -= learningRate * (nesterov ? g + momentum * v : v);
        }
    }
}
