using Convolve.Kernels.Cpu;
using Convolve.Layers;
using Convolve.Tensors;

namespace Convolve.Tests.Layers;

/// <summary>After a first batch, the new layers run forward and backward on equal batches without allocating.</summary>
public class SteadyStateAllocationTests
{
    public static TheoryData<string> Layers => ["Clip", "HardSigmoid", "HardSwish", "ConstantPerChannel", "ConstantGrowing", "ConstantDivideLeft",
        "Reshape", "Transpose", "Slice", "PadReflect"];

    private static Layer Create(string name) => name switch
    {
        "Clip" => new Clip(0, 6),
        "HardSigmoid" => new HardSigmoid(),
        "HardSwish" => new HardSwish(),
        "ConstantPerChannel" => new ElementwiseConstant(BinaryOperation.Multiply, Tensor.FromArray([1, 2, 3], 3, 1, 1)),
        "ConstantGrowing" => new ElementwiseConstant(BinaryOperation.Subtract, Tensor.FromArray([1, 2, 3, 4, 5], 5), constantOnLeft: true),
        "ConstantDivideLeft" => new ElementwiseConstant(BinaryOperation.Divide, Tensor.FromArray([1, 2, 3], 3, 1, 1), constantOnLeft: true),
        "Reshape" => new Reshape(0, -1),
        "Transpose" => new Transpose(0, 2, 3, 1),
        "Slice" => new Slice(-1, 1, 3),
        _ => new Pad([0, 1, 1, 0, 1, 1], PadMode.Reflect),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void ASecondBatch_AllocatesNothing(string name)
    {
        var layer = Create(name);
        var shape = name == "ConstantGrowing" ? new Shape(2, 3, 4, 1) : new Shape(2, 3, 4, 5);
        layer.Build(shape);
        var input = GradientCheck.Spread(new Random(1), shape);
        var dOutput = GradientCheck.RandomTensor(layer.Forward(input).Shape, new Random(2));
        layer.Backward(dOutput);

        Gemm.ReserveThreadBuffer(); // as a thread\'s first GEMM would, whichever parts the warm-up gave it

        long before = GC.GetAllocatedBytesForCurrentThread();
        layer.Forward(input);
        layer.Backward(dOutput);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Multiply")]
    [InlineData("Divide")]
    [InlineData("Concat")]
    public void ASecondBatch_AllocatesNothing_InMerges(string name)
    {
        MergeLayer layer = name switch { "Add" => new Add(), "Multiply" => new Multiply(), "Divide" => new Divide(), _ => new Concat(2) };
        var random = new Random(3);
        Tensor[] inputs = [GradientCheck.RandomTensor(new Shape(2, 3, 4, 5), random),
            GradientCheck.RandomTensor(name == "Concat" ? new Shape(2, 3, 2, 5) : new Shape(1, 3, 1, 5), random)];
        var dOutput = GradientCheck.RandomTensor(layer.Forward(inputs).Shape, random);
        layer.BackwardAll(dOutput);

        Gemm.ReserveThreadBuffer(); // as a thread\'s first GEMM would, whichever parts the warm-up gave it

        long before = GC.GetAllocatedBytesForCurrentThread();
        layer.Forward(inputs);
        layer.BackwardAll(dOutput);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
