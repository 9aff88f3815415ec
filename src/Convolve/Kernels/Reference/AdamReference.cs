namespace Convolve.Kernels.Reference;

/// <summary>The Adam and AdamW update by a plain loop: the definition.</summary>
internal static class AdamReference
{
    /// <summary>
    /// Step number <paramref name="step"/> (from 1) on one tensor, value by value, with g the gradient:
    /// <code>
    /// g = gradient + weightDecay * value                    (L2; with decoupled, instead value -= learningRate * weightDecay * value)
    /// mean   = beta1 * mean   + (1 - beta1) * g
    /// square = beta2 * square + (1 - beta2) * g * g
    /// value -= stepSize * mean / (sqrt(square) / rootCorrection2 + epsilon)
    /// </code>
    /// where <c>stepSize = learningRate / (1 - beta1^step)</c> and <c>rootCorrection2 = sqrt(1 - beta2^step)</c>
    /// undo the moments' start at zero (PyTorch's arrangement of the bias correction). Each product
    /// is rounded before its sum (no fused multiply-add), so a vector form can give the same bits.
    /// </summary>
    public static void Update(Span<float> value, ReadOnlySpan<float> gradient, Span<float> mean, Span<float> square,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, bool decoupled, long step)
    {
        var (stepSize, rootCorrection2) = BiasCorrection(learningRate, beta1, beta2, step);
        for (int i = 0; i < value.Length; i++)
        {
            float g = gradient[i];
            if (decoupled) value[i] -= learningRate * weightDecay * value[i];
            else g += weightDecay * value[i];
            mean[i] = beta1 * mean[i] + (1 - beta1) * g;
            square[i] = beta2 * square[i] + (1 - beta2) * g * g;
            value[i] -= stepSize * mean[i] / (MathF.Sqrt(square[i]) / rootCorrection2 + epsilon);
        }
    }

    /// <summary>
    /// The step's two scalars: <c>stepSize = learningRate / (1 - beta1^step)</c> and
    /// <c>rootCorrection2 = sqrt(1 - beta2^step)</c>, computed in double and rounded once.
    /// </summary>
    public static (float StepSize, float RootCorrection2) BiasCorrection(float learningRate, float beta1, float beta2, long step)
    {
        double correction1 = 1 - Math.Pow(beta1, step), correction2 = 1 - Math.Pow(beta2, step);
        return ((float)(learningRate / correction1), (float)Math.Sqrt(correction2));
    }
}
