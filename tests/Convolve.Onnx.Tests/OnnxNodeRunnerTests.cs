using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Google.Protobuf;

namespace Convolve.Onnx.Tests;

/// <summary>
/// Mappings that ONNX's installed vectors do not reach: Softmax before opset 13, which normalised
/// the input flattened to 2-D at `axis`, against opset 13's single axis. Expected values are
/// computed here in double from the definitions.
/// </summary>
public sealed class OnnxNodeRunnerTests
{
    private static readonly float[] Values = [0.5f, -1f, 2f, 0f, 3f, -0.5f, 1f, 1.5f, -2f, 0.25f, 0f, 4f];

    private static Tensor RunSoftmax(long opset, long axis)
    {
        var node = new NodeProto { OpType = "Softmax", Input = { "x" }, Output = { "y" } };
        node.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = axis });
        var proto = new ModelProto { Graph = new GraphProto { Node = { node } } };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        var model = OnnxModel.Parse(proto.ToByteArray(), $"softmax-v{opset}");
        var inputs = new Dictionary<string, TensorProto> { ["x"] = OnnxTensor.FromTensor(Tensor.FromArray(Values, 2, 2, 3), "x") };
        return Assert.IsType<Tensor>(new OnnxNodeRunner(model, node, inputs, Backend.All[0]).Run()[0]);
    }

    // softmax over groups of `size` consecutive values of Values.
    private static double[] SoftmaxInGroups(int size)
    {
        var result = new double[Values.Length];
        for (int start = 0; start < Values.Length; start += size)
        {
            double sum = 0;
            for (int i = start; i < start + size; i++) sum += Math.Exp(Values[i]);
            for (int i = start; i < start + size; i++) result[i] = Math.Exp(Values[i]) / sum;
        }
        return result;
    }

    [Fact]
    public void SoftmaxOpset11_Axis1_NormalisesEachItemFlattened()
    {
        var y = RunSoftmax(opset: 11, axis: 1);
        Assert.Equal(new Shape(2, 2, 3), y.Shape);
        var expected = SoftmaxInGroups(6);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y[i], 1e-6);
    }

    [Fact]
    public void SoftmaxOpset13_Axis2_NormalisesEachRowOfThree()
    {
        var y = RunSoftmax(opset: 13, axis: 2);
        var expected = SoftmaxInGroups(3);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y[i], 1e-6);
    }
}
