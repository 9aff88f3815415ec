using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using Convolve.Layers;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>The table-driven resize kernels against the per-pixel reference, on random shapes, scales and modes.</summary>
public sealed class ResizeCpuTests
{
    private static readonly float[] Scales = [2f, 3f, 1f, 0.5f, 0.6f, 1.5f, 2.5f, 1.25f, 4f];

    // A random geometry: scales from the list (or a random output size), random mapping and rounding.
    private static ResizeGeometry RandomGeometry(Random random, ResizeInterpolation mode)
    {
        int planes = random.Next(1, 7), inH = random.Next(1, 9), inW = random.Next(1, 21);
        var coordinates = (ResizeCoordinates)random.Next(5);
        var rounding = (ResizeRounding)random.Next(4);
        if (random.Next(3) == 0)
        {
            int outH = random.Next(1, 17), outW = random.Next(1, 41);
            return new ResizeGeometry(planes, inH, inW, outH, outW, (float)outH / inH, (float)outW / inW, mode, coordinates, rounding);
        }
        float sh = Scales[random.Next(Scales.Length)], sw = Scales[random.Next(Scales.Length)];
        int h = Math.Max(1, (int)MathF.Floor(inH * sh)), w = Math.Max(1, (int)MathF.Floor(inW * sw));
        return new ResizeGeometry(planes, inH, inW, h, w, sh, sw, mode, coordinates, rounding, inH * sh, inW * sw);
    }

    private static float[] RandomValues(Random random, int length) => [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1))];

    [Theory]
    [InlineData(ResizeInterpolation.Nearest)]
    [InlineData(ResizeInterpolation.Linear)]
    public void ForwardAndBackward_MatchTheReference(ResizeInterpolation mode)
    {
        var random = new Random(mode == ResizeInterpolation.Nearest ? 11 : 12);
        for (int trial = 0; trial < 300; trial++)
        {
            var g = RandomGeometry(random, mode);
            var input = RandomValues(random, g.InputLength);
            var dOutput = RandomValues(random, g.OutputLength);
            var (expected, actual) = (new float[g.OutputLength], new float[g.OutputLength]);
            var (dExpected, dActual) = (new float[g.InputLength], RandomValues(random, g.InputLength));
            ResizeReference.Forward(g, input, expected);
            ResizeReference.Backward(g, dOutput, dExpected);
            int parts = random.Next(1, 4);
            var plan = new ResizePlan(g, parts);
            ResizeCpu.Forward(plan, input, actual, parts);
            ResizeCpu.Backward(plan, dOutput, dActual, parts);
            // Nearest copies values, so it is exact; linear blends in another order.
            float tolerance = mode == ResizeInterpolation.Nearest ? 0 : 1e-5f;
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"{g}: output[{i}] {actual[i]}, reference {expected[i]}");
            for (int i = 0; i < dExpected.Length; i++)
                Assert.True(Math.Abs(dExpected[i] - dActual[i]) <= 1e-5f, $"{g}: dInput[{i}] {dActual[i]}, reference {dExpected[i]}");
        }
    }

    [Fact]
    public void BigInputs_SplitAcrossThreads_GiveTheSingleThreadResult()
    {
        var random = new Random(5);
        foreach (var mode in Enum.GetValues<ResizeInterpolation>())
        {
            var g = new ResizeGeometry(32, 20, 28, 40, 56, 2f, 2f, mode, ResizeCoordinates.HalfPixel, ResizeRounding.RoundPreferFloor);
            Assert.True(ResizeCpu.Parts(g, 0) == Math.Min(32, Environment.ProcessorCount));
            var input = RandomValues(random, g.InputLength);
            var (one, many) = (new float[g.OutputLength], new float[g.OutputLength]);
            ResizeCpu.Forward(new ResizePlan(g, 1), input, one, maxThreads: 1);
            ResizeCpu.Forward(new ResizePlan(g, 4), input, many, maxThreads: 0);
            Assert.Equal(one, many);
            var (dOne, dMany) = (new float[g.InputLength], new float[g.InputLength]);
            ResizeCpu.Backward(new ResizePlan(g, 1), one, dOne, maxThreads: 1);
            ResizeCpu.Backward(new ResizePlan(g, 4), one, dMany, maxThreads: 0);
            Assert.Equal(dOne, dMany);
        }
    }

    [Theory]
    [InlineData(ResizeCoordinates.HalfPixel, ResizeRounding.RoundPreferFloor)]
    [InlineData(ResizeCoordinates.Asymmetric, ResizeRounding.Floor)]
    [InlineData(ResizeCoordinates.PytorchHalfPixel, ResizeRounding.RoundPreferFloor)]
    public void NearestTimesTwo_RepeatsEachPixelTwiceAlongEachAxis(ResizeCoordinates coordinates, ResizeRounding rounding)
    {
        var g = new ResizeGeometry(1, 2, 3, 4, 6, 2f, 2f, ResizeInterpolation.Nearest, coordinates, rounding);
        var plan = new ResizePlan(g, 1);
        Assert.Equal(2, plan.Repeat);
        float[] input = [1, 2, 3, 4, 5, 6];
        var output = new float[24];
        ResizeCpu.Forward(plan, input, output);
        Assert.Equal([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6], output);
    }

    [Theory]
    [InlineData(ResizeRounding.RoundPreferFloor, 1)]
    [InlineData(ResizeRounding.RoundPreferCeil, 2)]
    [InlineData(ResizeRounding.Floor, 1)]
    [InlineData(ResizeRounding.Ceil, 2)]
    public void NearestIndex_BreaksTiesAsItsRoundingSays(ResizeRounding rounding, int expected)
    {
        Assert.Equal(expected, ResizeReference.NearestIndex(rounding, 1.5f, 4));
        Assert.Equal(0, ResizeReference.NearestIndex(rounding, -0.75f, 4));
        Assert.Equal(3, ResizeReference.NearestIndex(rounding, 7.2f, 4));
    }

    [Fact]
    public void AlignCorners_MapsTheLastOutputPixelToTheLastInputPixel()
    {
        Assert.Equal(4f, ResizeReference.SourceCoordinate(ResizeCoordinates.AlignCorners, 9, 5, 10, 2f));
        Assert.Equal(0f, ResizeReference.SourceCoordinate(ResizeCoordinates.AlignCorners, 0, 5, 1, 0.2f));
        Assert.Equal(-0.25f, ResizeReference.SourceCoordinate(ResizeCoordinates.HalfPixel, 0, 5, 10, 2f));
        Assert.Equal(0f, ResizeReference.SourceCoordinate(ResizeCoordinates.PytorchHalfPixel, 0, 5, 1, 0.2f));
        Assert.Equal(0.25f, ResizeReference.SourceCoordinate(ResizeCoordinates.TfHalfPixelForNN, 0, 5, 10, 2f));
        Assert.Equal(1.5f, ResizeReference.SourceCoordinate(ResizeCoordinates.Asymmetric, 3, 5, 10, 2f));
    }
}
