using Convolve.Tensors;

namespace Convolve.Onnx.Tests;

/// <summary>
/// ONNX's two training-mode BatchNormalization vectors, which the conformance theory lists as
/// unsupported because of one output. Here the other outputs are compared, and the claimed reason
/// for the third is checked: from the input alone (per-channel variance computed here in double),
/// ONNX's running_var is <c>momentum * var + (1 - momentum) * biased</c> and Convolve's is the same
/// with the unbiased variance, <c>biased * count / (count - 1)</c>.
/// </summary>
public sealed class BatchNormTrainingModeTests
{
    [DataTheory(TestData.OnnxVectors)]
    [InlineData("test_batchnorm_example_training_mode")]
    [InlineData("test_batchnorm_epsilon_training_mode")]
    public void TrainingMode_MatchesOutputAndRunningMean_RunningVarDiffersOnlyByBesselsCorrection(string name)
    {
        TestDataRequirement.Require(TestData.OnnxVectors);
        var test = OnnxTestData.Load(name);
        var set = test.DataSets[0];
        var actual = new OnnxNodeRunner(test.Model, test.Node, set.Inputs, Backend.All[0]) { AllowBatchNormTraining = true }.Run();
        OnnxConformanceTests.AssertMatches(set.Outputs[0].Path, set.Outputs[0].Tensor, actual[0], $"{name} Y");
        OnnxConformanceTests.AssertMatches(set.Outputs[1].Path, set.Outputs[1].Tensor, actual[1], $"{name} running_mean");

        var x = OnnxTensor.ToTensor(set.Inputs[test.Node.Input[0]]);
        var inputVar = OnnxTensor.ToTensor(set.Inputs[test.Node.Input[4]]).Span;
        var expectedVar = OnnxTensor.ToTensor(set.Outputs[2].Tensor).Span;
        var actualVar = Assert.IsType<Tensor>(actual[2]).Span;
        double momentum = test.Node.GetFloat("momentum", 0.9f);
        int n = x.Shape[0], channels = x.Shape[1], plane = x.Length / (n * channels), count = n * plane;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, squares = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < plane; i++) sum += x[(b * channels + c) * plane + i];
            double mean = sum / count;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < plane; i++) squares += Math.Pow(x[(b * channels + c) * plane + i] - mean, 2);
            double biased = squares / count, unbiased = squares / (count - 1);
            Assert.True(OnnxConformanceTests.Close(expectedVar[c], (float)(momentum * inputVar[c] + (1 - momentum) * biased)),
                $"{name} channel {c}: ONNX's running_var {expectedVar[c]} is not the biased update.");
            Assert.True(OnnxConformanceTests.Close(actualVar[c], (float)(momentum * inputVar[c] + (1 - momentum) * unbiased)),
                $"{name} channel {c}: Convolve's running_var {actualVar[c]} is not the unbiased update.");
            Assert.False(OnnxConformanceTests.Close(actualVar[c], expectedVar[c]), $"{name} channel {c}: the conventions should differ visibly here.");
        }
    }
}
