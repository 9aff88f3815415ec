using System.Runtime.Intrinsics;
using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;

namespace Convolve.Tests.Kernels;

/// <summary>
/// The dispatch table: which kernel each pass of a convolution gets, for each vector width,
/// and the vector width this test run really has (so an environment switch that silently does
/// nothing is caught: .ci/run sets CONVOLVE_EXPECT_SIMD beside each DOTNET_Enable... switch).
/// </summary>
public class Conv2DDispatchTests
{
    [Fact]
    public void ActivePath_IsTheOneThisRunExpects()
    {
        var expected = Environment.GetEnvironmentVariable("CONVOLVE_EXPECT_SIMD");
        if (!string.IsNullOrEmpty(expected))
            Assert.Equal(Enum.Parse<SimdWidth>(expected), Simd.Best);
        // Whatever was expected, Best is the widest width .NET accelerates in this process.
        Assert.Equal(Vector512.IsHardwareAccelerated, Simd.Best == SimdWidth.Vector512);
        Assert.Equal(Vector256.IsHardwareAccelerated, Simd.Best >= SimdWidth.Vector256);
        Assert.Equal(Vector128.IsHardwareAccelerated, Simd.Best >= SimdWidth.Vector128);
    }

    // By name: the width type is internal and a test method's parameters are public.
    public static TheoryData<string> Widths => [.. Enum.GetNames<SimdWidth>()];

    [Theory]
    [MemberData(nameof(Widths))]
    // Without vectors of at least 256 bits every pass runs on im2col + GEMM; the reference
    // kernel only when asked for.
    public void EveryPass_HasAKernel_AtEveryWidth(string widthName)
    {
        var width = Enum.Parse<SimdWidth>(widthName);
        Conv2DGeometry[] layers =
        [
            new(64, 1, 28, 28, 32, 3, 3),            // seed
            new(64, 6, 14, 14, 16, 5, 5),            // lenet5's second
            new(64, 32, 26, 26, 64, 3, 3),           // mnist-cnn's second
            new(1, 32, 26, 26, 64, 3, 3),            // the same at batch 1
            new(8, 16, 15, 15, 24, 3, 3, 2, 2, 1, 1, 1, 1), // stride 2: im2col
            new(4, 8, 12, 12, 8, 3, 3, Groups: 2),   // groups: im2col
        ];
        foreach (var g in layers)
            foreach (var pass in new[] { Conv2DPass.Forward, Conv2DPass.BackwardInput, Conv2DPass.BackwardWeight })
            {
                var choice = Conv2DDispatch.Choose(pass, g, Conv2DAlgorithm.Auto, threads: 2, width);
                Assert.NotNull(choice.Kernel);
                Assert.True(Conv2DDispatch.Supports(choice.Kernel!.Value, pass, g, width), $"{choice} for {pass} of {g} at {width}");
                Assert.False(string.IsNullOrWhiteSpace(choice.Reason));
                Assert.NotEqual(Conv2DAlgorithm.Reference, choice.Kernel);
            }
        Assert.Equal(Conv2DAlgorithm.Im2ColGemm, Conv2DDispatch.Choose(Conv2DPass.Forward, layers[4], Conv2DAlgorithm.Auto, 2, width).Kernel);
        Assert.Equal(Conv2DAlgorithm.Im2ColGemm, Conv2DDispatch.Choose(Conv2DPass.Forward, layers[5], Conv2DAlgorithm.Auto, 2, width).Kernel);
    }

    [Fact]
    // The kernels the built-in models' layers were made for, on AVX-512 and on AVX2.
    public void BuiltInModels_GetTheirKernels_OnAvx512AndAvx2()
    {
        foreach (var width in new[] { SimdWidth.Vector512, SimdWidth.Vector256 })
        {
            Assert.Equal(Conv2DAlgorithm.Direct,
                Conv2DDispatch.Choose(Conv2DPass.Forward, new(64, 1, 28, 28, 32, 3, 3), Conv2DAlgorithm.Auto, 2, width).Kernel);
            Assert.Equal(Conv2DAlgorithm.Direct,
                Conv2DDispatch.Choose(Conv2DPass.ForwardPooled, new(1, 1, 28, 28, 32, 3, 3), Conv2DAlgorithm.Auto, 2, width).Kernel);
            Assert.Equal(Conv2DAlgorithm.ChannelVector,
                Conv2DDispatch.Choose(Conv2DPass.Forward, new(64, 6, 14, 14, 16, 5, 5), Conv2DAlgorithm.Auto, 2, width).Kernel);
            Assert.Equal(Conv2DAlgorithm.Winograd,
                Conv2DDispatch.Choose(Conv2DPass.Forward, new(64, 32, 26, 26, 64, 3, 3), Conv2DAlgorithm.Auto, 2, width).Kernel);
            Assert.Equal(Conv2DAlgorithm.Winograd,
                Conv2DDispatch.Choose(Conv2DPass.Backward, new(64, 32, 26, 26, 64, 3, 3), Conv2DAlgorithm.Auto, 2, width).Kernel);
        }
    }

    [Fact]
    // A single image still goes to Winograd for both gradients, at one thread or two.
    public void SingleImages_KeepWinograd()
    {
        var g = new Conv2DGeometry(1, 32, 26, 26, 64, 3, 3);
        foreach (int threads in new[] { 1, 2 })
        {
            Assert.Equal(Conv2DAlgorithm.Winograd,
                Conv2DDispatch.Choose(Conv2DPass.BackwardWeight, g, Conv2DAlgorithm.Auto, threads, SimdWidth.Vector256).Kernel);
            Assert.Equal(Conv2DAlgorithm.Winograd, Conv2DDispatch.Choose(Conv2DPass.Backward, g, Conv2DAlgorithm.Auto, threads, SimdWidth.Vector256).Kernel);
        }
    }

    [Fact]
    public void RequestedKernel_IsUsedWhereItComputesThePass_Im2ColElsewhere()
    {
        var first = new Conv2DGeometry(64, 1, 28, 28, 32, 3, 3);
        var width = SimdWidth.Vector512;
        Assert.Equal(Conv2DAlgorithm.Direct, Conv2DDispatch.Choose(Conv2DPass.Forward, first, Conv2DAlgorithm.Direct, 2, width).Kernel);
        Assert.Equal(Conv2DAlgorithm.Im2ColGemm, Conv2DDispatch.Choose(Conv2DPass.BackwardInput, first, Conv2DAlgorithm.Direct, 2, width).Kernel);
        Assert.Equal(Conv2DAlgorithm.Im2ColGemm, Conv2DDispatch.Choose(Conv2DPass.Forward, first, Conv2DAlgorithm.Winograd, 2, width).Kernel);
        Assert.Null(Conv2DDispatch.Choose(Conv2DPass.ForwardPooled, first, Conv2DAlgorithm.Winograd, 2, width).Kernel);
        foreach (var pass in Enum.GetValues<Conv2DPass>())
        {
            var reference = Conv2DDispatch.Choose(pass, first, Conv2DAlgorithm.Reference, 2, width).Kernel;
            Assert.Equal(pass is Conv2DPass.ForwardPooled or Conv2DPass.Backward ? null : Conv2DAlgorithm.Reference, reference);
        }
    }

    [Fact]
    // Layers ask on every pass: choosing must not allocate.
    public void Choose_AllocatesNothing()
    {
        var dispatcher = new Conv2DDispatcher();
        var g = new Conv2DGeometry(64, 32, 26, 26, 64, 3, 3);
        var passes = Enum.GetValues<Conv2DPass>();
        foreach (var pass in passes) dispatcher.Choose(pass, g);
        Gemm.ReserveThreadBuffer(); // as a thread\'s first GEMM would, whichever parts the warm-up gave it
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var pass in passes) dispatcher.Choose(pass, g);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Dispatcher_RefusesAWidthThisCpuDoesNotAccelerate()
    {
        if (Simd.Best == SimdWidth.Vector512) return; // every width is accelerated here
        var e = Assert.Throws<ArgumentException>(() => new Conv2DDispatcher(width: SimdWidth.Vector512));
        Assert.Contains("not accelerated on this CPU", e.Message);
    }

    [Fact]
    // The report the CLI prints: every pass of every convolution, with the rule that chose it.
    public void KernelReport_ListsEveryPassOfEveryConvolution()
    {
        var model = Architectures.Find("mnist-cnn")!.Build();
        var uses = KernelReport.Of(model, batch: 64);
        Assert.Equal(2 * Enum.GetValues<Conv2DPass>().Length, uses.Count(u => u.Layer.StartsWith("conv2d", StringComparison.Ordinal)));
        var forward = uses.Single(u => u.Layer == "conv2d_2" && u.Pass == "forward");
        Assert.Equal(new Shape(64, 32, 26, 26), forward.InputShape);
        var conv = (Conv2D)model.Layers.Single(l => l.Name == "conv2d_2");
        Assert.Equal(conv.KernelChoices(forward.InputShape).First(c => c.Pass == Conv2DPass.Forward).Choice.Kernel.ToString(), forward.Kernel);
        Assert.Contains(Simd.Best == SimdWidth.Scalar ? "no hardware vectors" : Simd.InstructionSet, KernelReport.Machine);
        // Dense layers name their multiply for each pass, pooling layers their loop.
        Assert.Equal(["forward", "input gradient", "weight gradient"], uses.Where(u => u.Layer == "dense_1").Select(u => u.Pass));
        Assert.All(uses.Where(u => u.Layer.StartsWith("dense", StringComparison.Ordinal)), u => Assert.Equal("Gemm", u.Kernel));
        Assert.StartsWith("2x2 windows, stride 2", uses.Single(u => u.Layer == "maxpool2d_1").Reason);
    }
}
