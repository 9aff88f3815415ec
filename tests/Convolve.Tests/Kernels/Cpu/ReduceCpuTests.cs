using Convolve.Kernels;
using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>The fast reductions (<see cref="ReduceCpu"/>) against the reference on random shapes and axis sets.</summary>
public sealed class ReduceCpuTests
{
    private static readonly Gen<(int[] Dims, bool[] Reduced, ReduceKind Kind, int Seed)> Cases =
        from rank in Gen.Int[2, 5]
        from dims in Gen.Int[1, 7].Array[rank]
        from mask in Gen.Bool.Array[rank]
        from kind in Gen.Enum<ReduceKind>()
        from seed in Gen.Int
        select (dims, mask.Select((m, a) => a > 0 && m).ToArray(), kind, seed);

    [Fact]
    public void ForwardAndBackward_MatchTheReference_OnRandomShapesAndAxes()
    {
        Cases.Sample(c =>
        {
            var g = new ReduceGeometry(c.Dims, c.Reduced);
            var random = new Random(c.Seed);
            int inputLength = c.Dims.Aggregate(1, (p, d) => p * d), outputLength = inputLength / g.Count;
            // Distinct values, so Max and Min choose one index in both versions.
            var input = Enumerable.Range(0, inputLength).Select(i => (float)(i - inputLength / 2) / inputLength + 0.001f).ToArray();
            random.Shuffle(input);
            var dOutput = Enumerable.Range(0, outputLength).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();

            float[] yRef = new float[outputLength], yFast = new float[outputLength];
            int[] argRef = new int[outputLength], argFast = new int[outputLength];
            ReduceReference.Forward(c.Kind, g, input, yRef, argRef);
            ReduceCpu.Forward(c.Kind, g, input, yFast, argFast);
            for (int o = 0; o < outputLength; o++)
                Assert.True(Math.Abs(yRef[o] - yFast[o]) <= 1e-5f * Math.Max(1, Math.Abs(yRef[o])),
                    $"{c.Kind} over [{string.Join(", ", c.Reduced)}] of [{string.Join(", ", c.Dims)}]: output {o} is {yFast[o]}, reference {yRef[o]}");
            if (c.Kind is ReduceKind.Max or ReduceKind.Min) Assert.Equal(argRef, argFast);

            float[] dRef = new float[inputLength], dFast = new float[inputLength];
            ReduceReference.Backward(c.Kind, g, input, yRef, argRef, dOutput, dRef);
            ReduceCpu.Backward(c.Kind, g, input, yRef, argRef, dOutput, dFast);
            for (int i = 0; i < inputLength; i++)
                Assert.True(Math.Abs(dRef[i] - dFast[i]) <= 1e-5f * Math.Max(1, Math.Abs(dRef[i])),
                    $"{c.Kind} over [{string.Join(", ", c.Reduced)}] of [{string.Join(", ", c.Dims)}]: dInput {i} is {dFast[i]}, reference {dRef[i]}");
        }, iter: 300);
    }

    [Fact]
    public void Reference_ComputesTheDefinition_OnAWorkedExample()
    {
        // [1, 2, 3] over axis 2: rows [1, -2, 3] and [4, 0, -4].
        float[] x = [1, -2, 3, 4, 0, -4];
        var g = new ReduceGeometry([1, 2, 3], [false, false, true]);
        float[] Run(ReduceKind kind)
        {
            var y = new float[2];
            ReduceReference.Forward(kind, g, x, y, new int[2]);
            return y;
        }
        Assert.Equal([2f / 3, 0f], Run(ReduceKind.Mean));
        Assert.Equal([2f, 0f], Run(ReduceKind.Sum));
        Assert.Equal([3f, 4f], Run(ReduceKind.Max));
        Assert.Equal([-2f, -4f], Run(ReduceKind.Min));
        Assert.Equal([MathF.Sqrt(14), MathF.Sqrt(32)], Run(ReduceKind.L2));
    }

    [Fact]
    public void Geometry_FindsOneContiguousRunOfAxes_OrNone()
    {
        Assert.Equal((6, 20, 1), new ReduceGeometry([2, 3, 4, 5], [false, false, true, true]).Block);
        Assert.Equal((2, 3, 20), new ReduceGeometry([2, 3, 4, 5], [false, true, false, false]).Block);
        Assert.Null(new ReduceGeometry([2, 3, 4, 5], [false, true, false, true]).Block);
        Assert.Equal(12, new ReduceGeometry([2, 3, 4, 5], [false, true, true, false]).Count);
    }
}
