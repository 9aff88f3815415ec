using Convolve.Experiments;
using Convolve.Kernels.Cpu;
using Convolve.Layers;
using Convolve.Tensors;
using Convolve.Training;
using Convolve.Transfer;

namespace Convolve.Tests.Training;

/// <summary>Every optimizer default comes from <see cref="OptimizerSettings"/>'s constants.</summary>
public class OptimizerDefaultsTests
{
    private static Parameter[] Parameters() => [new Parameter("w", new Shape(3))];

    [Fact]
    public void TheTrainCommandsSgdDefaults_AreTheLibrarys()
    {
        // The values the train command's published accuracy was measured with.
        Assert.Equal(0.05f, OptimizerSettings.DefaultSgdLearningRate);
        Assert.Equal(0.9f, OptimizerSettings.DefaultMomentum);
        Assert.Equal(1e-3f, OptimizerSettings.DefaultAdamLearningRate);
    }

    [Fact]
    public void SgdConstructedWithoutOptions_UsesTheDocumentedDefaults()
    {
        var sgd = new Sgd(Parameters());
        Assert.Equal(OptimizerSettings.DefaultMomentum, sgd.Momentum);
        Assert.False(sgd.Nesterov);
        Assert.Equal(0, sgd.WeightDecay);
    }

    [Fact]
    public void SgdFromDefaultSettings_IsTheSameAsSgdFromItsConstructor()
    {
        var fromSettings = Assert.IsType<Sgd>(new OptimizerSettings().Create(Parameters()));
        var direct = new Sgd(Parameters());
        Assert.Equal(direct.Momentum, fromSettings.Momentum);
        Assert.Equal(direct.WeightDecay, fromSettings.WeightDecay);
    }

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void AdamFromDefaultSettings_IsTheSameAsAdamFromItsConstructor(OptimizerKind kind)
    {
        var fromSettings = Assert.IsAssignableFrom<Adam>(OptimizerSettings.Default(kind).Create(Parameters()));
        Adam direct = kind == OptimizerKind.Adam ? new Adam(Parameters()) : new AdamW(Parameters(), weightDecay: 0);
        Assert.Equal(direct.Beta1, fromSettings.Beta1);
        Assert.Equal(direct.Beta2, fromSettings.Beta2);
        Assert.Equal(direct.Epsilon, fromSettings.Epsilon);
        Assert.Equal(direct.Decoupled, fromSettings.Decoupled);
    }

    [Fact]
    public void AdamWConstructedWithoutWeightDecay_DecaysByTheDocumentedDefault()
    {
        Assert.Equal(OptimizerSettings.DefaultAdamWWeightDecay, new AdamW(Parameters()).WeightDecay);
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd, OptimizerSettings.DefaultSgdLearningRate)]
    [InlineData(OptimizerKind.Adam, OptimizerSettings.DefaultAdamLearningRate)]
    [InlineData(OptimizerKind.AdamW, OptimizerSettings.DefaultAdamLearningRate)]
    public void DefaultSettings_CarryTheKindsLearningRate(OptimizerKind kind, float expected)
    {
        Assert.Equal(expected, OptimizerSettings.DefaultLearningRate(kind));
        Assert.Equal(expected, OptimizerSettings.Default(kind).LearningRate);
    }

    [Fact]
    public void ExperimentsAndTrainingSessions_DefaultToTheLibrarysSgd()
    {
        Assert.Equal(OptimizerSettings.Default(OptimizerKind.Sgd), ExperimentSettings.DefaultOptimizer);
        Assert.Equal(OptimizerSettings.Default(OptimizerKind.Sgd), new ExperimentSettings().OptimizerOrDefault);
        Assert.Equal(OptimizerSettings.Default(OptimizerKind.Sgd), new TrainingOptions().OptimizerOrDefault);
    }

    [Fact]
    public void Transfer_DefaultsToAdam_AndKeepsItsOwnSmallerSgdRate()
    {
        Assert.Equal(OptimizerSettings.Default(OptimizerKind.Adam), new TransferOptions().OptimizerOrDefault);
        Assert.Equal(TransferOptions.DefaultSgdLearningRate, TransferOptions.DefaultLearningRate(OptimizerKind.Sgd));
        Assert.True(TransferOptions.DefaultSgdLearningRate < OptimizerSettings.DefaultSgdLearningRate);
        Assert.Equal(OptimizerSettings.DefaultAdamLearningRate, TransferOptions.DefaultLearningRate(OptimizerKind.AdamW));
    }

    [Fact]
    public void ThreadCount_ZeroMeansEveryCore_AndNeverMoreThanTheCores()
    {
        int cores = Environment.ProcessorCount;
        Assert.Equal(cores, ThreadCount.Resolve(0));
        Assert.Equal(1, ThreadCount.Resolve(1));
        Assert.Equal(cores, ThreadCount.Resolve(cores + 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => ThreadCount.Resolve(-1));
    }
}
