using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Tests.Training;

/// <summary>Settings that cannot work are refused before any step, naming the setting and its range.</summary>
public sealed class SettingsValidationTests
{
    private static Sequential Model()
    {
        var model = new Sequential(new Flatten(), new Dense(3));
        model.Build(new Shape(1, 4, 4), seed: 1);
        return model;
    }

    public static TheoryData<OptimizerSettings, string, string> Bad => new()
    {
        { new OptimizerSettings(LearningRate: float.PositiveInfinity), "LearningRate", "The learning rate must be a finite number above 0, got Infinity." },
        { new OptimizerSettings(LearningRate: float.NaN), "LearningRate", "The learning rate must be a finite number above 0, got NaN." },
        { new OptimizerSettings(LearningRate: 0), "LearningRate", "The learning rate must be a finite number above 0, got 0." },
        { new OptimizerSettings(LearningRate: -0.1f), "LearningRate", "The learning rate must be a finite number above 0, got -0.1." },
        { new OptimizerSettings(Momentum: 5), "Momentum", "Momentum must be in [0, 1), got 5." },
        { new OptimizerSettings(Momentum: 1), "Momentum", "Momentum must be in [0, 1), got 1." },
        { new OptimizerSettings(Momentum: -0.5f), "Momentum", "Momentum must be in [0, 1), got -0.5." },
        { new OptimizerSettings(WeightDecay: -1), "WeightDecay", "Weight decay must be a finite number of 0 or more, got -1." },
        { new OptimizerSettings(WeightDecay: float.PositiveInfinity), "WeightDecay", "Weight decay must be a finite number of 0 or more, got Infinity." },
        { new OptimizerSettings(OptimizerKind.Adam, Beta1: 1), "Beta1", "Adam's beta1 must be in [0, 1), got 1." },
        { new OptimizerSettings(OptimizerKind.AdamW, Beta2: -0.1f), "Beta2", "Adam's beta2 must be in [0, 1), got -0.1." },
        { new OptimizerSettings(OptimizerKind.Adam, Epsilon: 0), "Epsilon", "Adam's epsilon must be a finite number above 0, got 0." },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void OptimizerSettings_ThatCannotWork_AreRefused_NamingTheSettingAndItsRange(OptimizerSettings settings, string setting, string message)
    {
        var e = Assert.Throws<InvalidSettingException>(settings.Validate);
        Assert.Equal(setting, e.Setting);
        Assert.Equal(message, e.Message);
        // Creating the optimizer and starting a session refuse them too.
        Assert.Throws<InvalidSettingException>(() => settings.Create(Model().Parameters));
        Assert.Throws<InvalidSettingException>(() => new TrainingSession(Model(), new TrainingOptions(Optimizer: settings)));
    }

    [Fact]
    public void Optimizers_BuiltDirectly_RefuseTheSameValues()
    {
        var parameters = Model().Parameters;
        Assert.Equal("LearningRate", Assert.Throws<InvalidSettingException>(() => LearningRateSchedule.Constant(float.PositiveInfinity)).Setting);
        Assert.Equal("LearningRate", Assert.Throws<InvalidSettingException>(() => new Trainer(Model(), new Sgd(parameters), learningRate: 0)).Setting);
        Assert.Equal("Momentum", Assert.Throws<InvalidSettingException>(() => new Sgd(parameters, momentum: 5)).Setting);
        Assert.Equal("WeightDecay", Assert.Throws<InvalidSettingException>(() => new Sgd(parameters, weightDecay: float.NaN)).Setting);
        Assert.Equal("Epsilon", Assert.Throws<InvalidSettingException>(() => new Adam(parameters, epsilon: -1)).Setting);
        Assert.Equal("WeightDecay", Assert.Throws<InvalidSettingException>(() => new AdamW(parameters, weightDecay: -0.01f)).Setting);
        var sgd = new Sgd(parameters);
        Assert.Equal("LearningRate", Assert.Throws<InvalidSettingException>(() => sgd.Step(float.NaN)).Setting);
        Assert.Equal("LearningRate", Assert.Throws<InvalidSettingException>(() => sgd.Step(-0.1f)).Setting);
        Assert.Equal(0, sgd.Steps); // a refused step is not taken
        sgd.Step(0); // a cosine schedule ends at 0
        Assert.Equal(1, sgd.Steps);
    }

    [Fact]
    public void UsualSettings_AreAccepted()
    {
        new OptimizerSettings().Validate();
        new OptimizerSettings(OptimizerKind.Sgd, 0.05f, Momentum: 0, WeightDecay: 1e-4f).Validate();
        new OptimizerSettings(OptimizerKind.AdamW, 1e-3f, Beta1: 0, Beta2: 0.99f).Validate();
    }

    [Fact]
    public void Description_IsTheSameInEveryLocale()
    {
        var before = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            // A culture that writes decimal commas, as de-DE does (made by hand: tests may run in invariant-globalization mode).
            var commas = (System.Globalization.CultureInfo)System.Globalization.CultureInfo.InvariantCulture.Clone();
            commas.NumberFormat.NumberDecimalSeparator = ",";
            System.Globalization.CultureInfo.CurrentCulture = commas;
            Assert.Equal("SGD(lr=0.05, momentum=0.9, weight_decay=0.0005)",
                new OptimizerSettings(OptimizerKind.Sgd, 0.05f, 0.9f, WeightDecay: 0.0005f).ToString());
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = before;
        }
    }
}
