using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Kernels.Cpu;

/// <summary>
/// Transposed convolution on the im2col convolution kernel, through the convolution it is the
/// adjoint of (<see cref="ConvTranspose2DGeometry.AsConvolution"/>), per batch item and group:
/// <list type="bullet">
/// <item>Forward: <c>columns[K/groups*kH*kW, H*W] = weight^T * input</c>, then col2im adds each
/// column value to its output position (the convolution's input gradient), then the bias;</item>
/// <item>BackwardInput: im2col of dOutput, then <c>dInput = weight * columns</c> (the convolution's
/// forward pass);</item>
/// <item>BackwardWeight: <c>dWeight += input * columns^T</c> with the im2col of dOutput (the
/// convolution's weight gradient, input and output swapped); dBias sums dOutput per channel.</item>
/// </list>
/// The multiplies, the packing, the threads over the batch and the scratch buffers (kept between
/// calls, one set per layer, not thread-safe) are <see cref="Conv2DIm2ColGemm"/>'s.
/// </summary>
internal sealed class ConvTranspose2DCpu
{
    private readonly Conv2DIm2ColGemm convolution;

    /// <summary>A kernel on the fastest multiply path, using up to <paramref name="maxThreads"/> threads (0: all cores).</summary>
    public ConvTranspose2DCpu(int maxThreads = 0) : this(Gemm.BestPath, maxThreads) { }

    /// <summary>A kernel on multiply path <paramref name="path"/> (the tests run each).</summary>
    public ConvTranspose2DCpu(GemmPath path, int maxThreads = 0) => convolution = new Conv2DIm2ColGemm(path, maxThreads);

    /// <summary>output [N, K, OutH, OutW] from input [N, C, H, W], weight [C, K/groups, kH, kW] and bias [K] or empty.</summary>
    public void Forward(in ConvTranspose2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        Check(g, nameof(Forward), input.Length, weight.Length, output.Length);
        if (!bias.IsEmpty && bias.Length < g.OutChannels)
            throw new ArgumentException($"ConvTranspose2DCpu.Forward: bias needs {g.OutChannels} values (one per output channel), got {bias.Length}.");
        convolution.BackwardInput(g.AsConvolution(), input, weight, output);
        if (bias.IsEmpty) return;
        int plane = g.OutH * g.OutW;
        for (int n = 0; n < g.Batch; n++)
            for (int k = 0; k < g.OutChannels; k++)
            {
                var values = output.Slice((n * g.OutChannels + k) * plane, plane);
                TensorPrimitives.Add(values, bias[k], values);
            }
    }

    /// <summary>dInput [N, C, H, W] from dOutput and the weight. Overwrites dInput.</summary>
    public void BackwardInput(in ConvTranspose2DGeometry g, ReadOnlySpan<float> dOutput, ReadOnlySpan<float> weight, Span<float> dInput)
    {
        Check(g, nameof(BackwardInput), dInput.Length, weight.Length, dOutput.Length);
        convolution.Forward(g.AsConvolution(), dOutput, weight, default, dInput);
    }

    /// <summary>Adds the weight gradient to dWeight and, unless dBias is empty, the bias gradient to dBias.</summary>
    public void BackwardWeight(in ConvTranspose2DGeometry g, ReadOnlySpan<float> input, ReadOnlySpan<float> dOutput,
        Span<float> dWeight, Span<float> dBias)
    {
        Check(g, nameof(BackwardWeight), input.Length, dWeight.Length, dOutput.Length);
        if (!dBias.IsEmpty && dBias.Length < g.OutChannels)
            throw new ArgumentException($"ConvTranspose2DCpu.BackwardWeight: dBias needs {g.OutChannels} values (one per output channel), got {dBias.Length}.");
        convolution.BackwardWeight(g.AsConvolution(), dOutput, input, dWeight, default);
        if (dBias.IsEmpty) return;
        int plane = g.OutH * g.OutW;
        for (int k = 0; k < g.OutChannels; k++)
        {
            float sum = 0;
            for (int n = 0; n < g.Batch; n++) sum += TensorPrimitives.Sum(dOutput.Slice((n * g.OutChannels + k) * plane, plane));
            dBias[k] += sum;
        }
    }

    private static void Check(in ConvTranspose2DGeometry g, string pass, int inputLength, int weightLength, int outputLength)
    {
        if (g.Groups <= 0 || g.InChannels % g.Groups != 0 || g.OutChannels % g.Groups != 0)
            throw new ArgumentException($"ConvTranspose2DCpu.{pass}: groups ({g.Groups}) must divide input channels ({g.InChannels}) " +
                $"and output channels ({g.OutChannels}).");
        if (g.OutH <= 0 || g.OutW <= 0)
            throw new ArgumentException($"ConvTranspose2DCpu.{pass}: output would be {g.OutH}x{g.OutW} for {g}.");
        if (inputLength < g.InputLength || weightLength < g.WeightLength || outputLength < g.OutputLength)
            throw new ArgumentException($"ConvTranspose2DCpu.{pass}: expected input of {g.InputLength}, weight of {g.WeightLength} " +
                $"and output of {g.OutputLength} values; got {inputLength}, {weightLength} and {outputLength}.");
    }
}
