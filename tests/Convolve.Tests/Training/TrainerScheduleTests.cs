using Convolve.Tests.Training.Diagnostics;
using Convolve.Training;

namespace Convolve.Tests.Training;

/// <summary>The learning rate flows one way: from the schedule, through the trainer, into each optimizer step.</summary>
public class TrainerScheduleTests
{
    [Fact]
    public void TrainStep_MovesEachWeightByTheSchedulesRateForThatStep()
    {
        // Plain SGD moves each weight by exactly -rate * gradient, so each step's rate can be read back.
        var model = TrainingMonitorTests.SmallNetwork();
        var schedule = new LearningRateSchedule(ScheduleKind.Cosine, 0.1f, totalSteps: 3);
        var parameters = model.Parameters.ToArray();
        var trainer = new Trainer(model, new Sgd(parameters, momentum: 0), schedule) { Monitor = null };
        var data = TrainingMonitorTests.Separable(16, seed: 1);
        for (int step = 0; step < 4; step++)
        {
            float rate = schedule.At(step);
            var before = parameters.Select(p => p.Value.Span.ToArray()).ToArray();
            trainer.TrainStep(data.Images, data.Labels);
            Assert.Equal(rate, trainer.LastLearningRate);
            for (int k = 0; k < before.Length; k++)
            {
                var p = parameters[k];
                for (int i = 0; i < before[k].Length; i++)
                    Assert.Equal(before[k][i] - rate * p.Gradient[i], p.Value[i]);
            }
        }
        Assert.Equal(0f, schedule.At(3)); // the last step, past the end of the cosine, moved nothing
        Assert.Equal(4, trainer.Optimizer.Steps);
    }

    [Fact]
    public void TrainStep_WithoutASchedule_SaysWhereTheRateComesFrom()
    {
        var model = TrainingMonitorTests.SmallNetwork();
        var trainer = new Trainer(model, new Sgd(model.Parameters));
        var data = TrainingMonitorTests.Separable(4, seed: 1);
        var e = Assert.Throws<InvalidOperationException>(() => trainer.TrainStep(data.Images, data.Labels));
        Assert.Equal("Trainer: no learning rate: give the trainer a schedule or a rate, or pass each step's rate to TrainStep.", e.Message);
        trainer.TrainStep(data.Images, data.Labels, 0.01f);
        Assert.Equal(1, trainer.Optimizer.Steps);
    }

    [Fact]
    public void ChangeLearningRate_ContinuesTheScheduleFromTheNewBaseRate()
    {
        var data = TrainingMonitorTests.Separable(64, seed: 1);
        var session = new TrainingSession(TrainingMonitorTests.SmallNetwork(),
            new TrainingOptions(Epochs: 3, BatchSize: 16, Optimizer: new OptimizerSettings(LearningRate: 0.05f), Schedule: ScheduleKind.Cosine));
        session.RunEpoch(data);
        Assert.Equal(new LearningRateSchedule(ScheduleKind.Cosine, 0.05f, 12), session.Trainer.Schedule);

        session.ChangeLearningRate(0.01f);
        Assert.Equal(0.01f, session.Options.OptimizerOrDefault.LearningRate);
        Assert.Equal(new LearningRateSchedule(ScheduleKind.Cosine, 0.01f, 12), session.Trainer.Schedule);
        session.RunEpoch(data);
        Assert.Equal(new LearningRateSchedule(ScheduleKind.Cosine, 0.01f, 12).At(7), session.Trainer.LastLearningRate);
    }

    [Fact]
    public void ChangeLearningRate_BeforeTheFirstEpoch_IsTheRateTheRunStartsWith()
    {
        var data = TrainingMonitorTests.Separable(32, seed: 1);
        var session = new TrainingSession(TrainingMonitorTests.SmallNetwork(), new TrainingOptions(Epochs: 1, BatchSize: 16));
        session.ChangeLearningRate(0.02f);
        session.RunEpoch(data);
        Assert.Equal(LearningRateSchedule.Constant(0.02f).BaseRate, session.Trainer.Schedule!.BaseRate);
        Assert.Equal(0.02f, session.Trainer.LastLearningRate);
    }
}
