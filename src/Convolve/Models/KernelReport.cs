using Convolve.Kernels.Cpu;
using Convolve.Layers;

namespace Convolve.Models;

/// <summary>Which kernel computes one pass of one layer on this CPU, and the rule that chose it.</summary>
/// <param name="Layer">The layer's name in the model.</param>
/// <param name="InputShape">The input the choice is for (the batch size matters).</param>
/// <param name="Pass">The pass: forward, forward pooled (inference), input gradient, weight gradient, both gradients.</param>
/// <param name="Kernel">The kernel, or "not fused" for a fused pass no kernel takes.</param>
/// <param name="Reason">Why, in words.</param>
public sealed record KernelUse(string Layer, Tensors.Shape InputShape, string Pass, string Kernel, string Reason);

/// <summary>
/// The kernels a model's layers use for a batch size on this CPU (its vector width and cores),
/// as their dispatch rules decide: what <c>convolve summary MODEL --kernels</c> prints.
/// </summary>
public static class KernelReport
{
    /// <summary>One line for each pass of each layer that has a choice of kernels, in layer order.</summary>
    public static IReadOnlyList<KernelUse> Of(Model model, int batch)
    {
        var inputs = model.LayerInputShapes(batch);
        var uses = new List<KernelUse>();
        for (int i = 0; i < model.Layers.Count; i++)
        {
            var layer = model.Layers[i];
            if (layer is Conv2D conv)
                foreach (var (pass, choice) in conv.KernelChoices(inputs[i]))
                    uses.Add(new(layer.Name, inputs[i], PassName(pass), choice.Kernel?.ToString() ?? "not fused", choice.Reason));
            else if (layer is Pool2D pool)
                uses.Add(new(layer.Name, inputs[i], "forward", "Pool2DCpu",
                    Kernels.Cpu.Pool2DCpu.Describe(pool.GetGeometry(inputs[i]), max: pool is MaxPool2D)));
            else if (layer is Dense dense)
                foreach (var (pass, kernel) in dense.KernelChoices(inputs[i]))
                    uses.Add(new(layer.Name, inputs[i], pass, "Gemm", kernel));
        }
        return uses;
    }

    /// <summary>The machine the report is for: CPU, cores and the vector path in use.</summary>
    public static string Machine => Simd.Describe();

    private static string PassName(Kernels.Conv2DPass pass) => pass switch
    {
        Kernels.Conv2DPass.Forward => "forward",
        Kernels.Conv2DPass.ForwardPooled => "forward + ReLU + 2x2 pool (inference)",
        Kernels.Conv2DPass.BackwardInput => "input gradient",
        Kernels.Conv2DPass.BackwardWeight => "weight gradient",
        _ => "both gradients in one pass",
    };
}
