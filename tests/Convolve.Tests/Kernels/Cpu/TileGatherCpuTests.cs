using Convolve.Kernels.Cpu;
using Convolve.Kernels.Reference;
using CsCheck;

namespace Convolve.Tests.Kernels.Cpu;

/// <summary>The block-copy Tile and row-copy Gather kernels against their element-by-element references on random shapes.</summary>
public sealed class TileGatherCpuTests
{
    private static readonly Gen<(int[] Dims, int[] Repeats, int Seed)> TileCases =
        from rank in Gen.Int[1, 5]
        from dims in Gen.Int[1, 5].Array[rank]
        from repeats in Gen.Int[1, 4].Array[rank]
        from seed in Gen.Int
        select (dims, repeats.Select((r, a) => a == 0 ? 1 : r).ToArray(), seed);

    [Fact]
    public void Tile_ForwardAndBackward_MatchTheReference_OnRandomShapes()
    {
        TileCases.Sample(c =>
        {
            var random = new Random(c.Seed);
            int inputLength = c.Dims.Aggregate(1, (p, d) => p * d), outputLength = inputLength * c.Repeats.Aggregate(1, (p, r) => p * r);
            var input = Values(inputLength, random);
            var dOutput = Values(outputLength, random);
            string where = $"[{string.Join(", ", c.Dims)}] by [{string.Join(", ", c.Repeats)}]";

            float[] yRef = new float[outputLength], yFast = new float[outputLength], yMerged = new float[outputLength];
            TileReference.Forward(c.Dims, c.Repeats, input, yRef);
            TileCpu.Forward(c.Dims, c.Repeats, input, yFast);
            var (dims, repeats) = TileCpu.Merge(c.Dims, c.Repeats);
            TileCpu.Forward(dims, repeats, input, yMerged);
            Assert.True(yRef.AsSpan().SequenceEqual(yFast), $"Tile of {where}: the fast output differs from the reference");
            Assert.True(yRef.AsSpan().SequenceEqual(yMerged), $"Tile of {where} merged to [{string.Join(", ", dims)}]: the output differs");

            float[] dRef = new float[inputLength], dFast = new float[inputLength];
            TileReference.Backward(c.Dims, c.Repeats, dOutput, dRef);
            TileCpu.Backward(dims, repeats, dOutput, dFast);
            for (int i = 0; i < inputLength; i++)
                Assert.True(Math.Abs(dRef[i] - dFast[i]) <= 1e-5f * Math.Max(1, Math.Abs(dRef[i])),
                    $"Tile of {where}: dInput {i} is {dFast[i]}, reference {dRef[i]}");
        }, iter: 300);
    }

    private static readonly Gen<(int Outer, int Size, int Inner, int[] Indices, int Seed)> GatherCases =
        from outer in Gen.Int[1, 6]
        from size in Gen.Int[1, 6]
        from inner in Gen.Int[1, 9]
        from count in Gen.Int[1, 8]
        from picks in Gen.Int[0, 1000].Array[count]
        from seed in Gen.Int
        select (outer, size, inner, picks.Select(p => p % size).ToArray(), seed);

    [Fact]
    public void Gather_ForwardAndBackward_MatchTheReference_OnRandomShapesAndRepeatedIndices()
    {
        GatherCases.Sample(c =>
        {
            var random = new Random(c.Seed);
            int inputLength = c.Outer * c.Size * c.Inner, outputLength = c.Outer * c.Indices.Length * c.Inner;
            var input = Values(inputLength, random);
            var dOutput = Values(outputLength, random);
            string where = $"[{c.Outer}, {c.Size}, {c.Inner}] at [{string.Join(", ", c.Indices)}]";

            float[] yRef = new float[outputLength], yFast = new float[outputLength];
            GatherReference.Forward(c.Outer, c.Size, c.Inner, c.Indices, input, yRef);
            GatherCpu.Forward(c.Outer, c.Size, c.Inner, c.Indices, input, yFast);
            Assert.True(yRef.AsSpan().SequenceEqual(yFast), $"Gather of {where}: the fast output differs from the reference");

            float[] dRef = new float[inputLength], dFast = Values(inputLength, random);    // stale values: Backward overwrites
            GatherReference.Backward(c.Outer, c.Size, c.Inner, c.Indices, dOutput, dRef);
            GatherCpu.Backward(c.Outer, c.Size, c.Inner, c.Indices, dOutput, dFast);
            for (int i = 0; i < inputLength; i++)
                Assert.True(Math.Abs(dRef[i] - dFast[i]) <= 1e-6f, $"Gather of {where}: dInput {i} is {dFast[i]}, reference {dRef[i]}");
        }, iter: 300);
    }

    [Fact]
    public void References_ComputeTheDefinitions_OnWorkedExamples()
    {
        // [[1, 2], [3, 4]] tiled by [1, 2]: each row twice across.
        var tiled = new float[8];
        TileReference.Forward([2, 2], [1, 2], [1f, 2, 3, 4], tiled);
        Assert.Equal([1f, 2, 1, 2, 3, 4, 3, 4], tiled);
        // Its gradient: each input gets the sum of its two copies.
        var dTiled = new float[4];
        TileReference.Backward([2, 2], [1, 2], [1f, 10, 100, 1000, 2, 20, 200, 2000], dTiled);
        Assert.Equal([101f, 1010, 202, 2020], dTiled);

        // Rows [1, 2, 3] and [4, 5, 6] at indices [2, 0, 2].
        var gathered = new float[6];
        GatherReference.Forward(2, 3, 1, [2, 0, 2], [1f, 2, 3, 4, 5, 6], gathered);
        Assert.Equal([3f, 1, 3, 6, 4, 6], gathered);
        var dGathered = new float[6];
        GatherReference.Backward(2, 3, 1, [2, 0, 2], [1f, 2, 3, 4, 5, 6], dGathered);
        Assert.Equal([2f, 0, 4, 5, 0, 10], dGathered);
    }

    private static float[] Values(int length, Random random) => [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1))];
}
