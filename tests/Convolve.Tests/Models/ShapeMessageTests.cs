using Convolve.Analysis;
using Convolve.Data;
using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Training;

namespace Convolve.Tests.Models;

/// <summary>
/// Shape errors name the layer, what it expected and what it got, with the batch the user gave,
/// or N where the model was checked with its own stand-in batch of one (Build).
/// </summary>
public class ShapeMessageTests
{
    [Fact]
    public void Build_WrongChannels_NamesTheLayer_BatchIsN()
    {
        var model = new Sequential(new Conv2D(3, 16, 3), new ReLU(), new Flatten(), new Dense(10));
        var e = Assert.Throws<ShapeException>(() => model.Build(new Shape(1, 28, 28)));
        Assert.Equal("conv2d_1 Conv2D(3->16, 3x3): expected input with 3 channels, got [N, 1, 28, 28].", e.Message);
    }

    [Fact]
    public void Build_DenseOfTheWrongSize_NamesTheLayer_BatchIsN()
    {
        var model = new Sequential(new Conv2D(1, 8, 3), new Flatten(), new Dense(100, 10));
        var e = Assert.Throws<ShapeException>(() => model.Build(new Shape(1, 28, 28)));
        Assert.Equal("dense_1 Dense(100->10): expected input with 100 features, got [N, 5408].", e.Message);
    }

    [Fact]
    public void Build_PoolLargerThanItsInput_BatchIsN()
    {
        var model = new Sequential(new MaxPool2D(8), new MaxPool2D(8));
        var e = Assert.Throws<ShapeException>(() => model.Build(new Shape(1, 28, 28)));
        Assert.Equal("maxpool2d_2 MaxPool2D(8): input [N, 1, 3, 3] is smaller than the 8x8 window.", e.Message);
    }

    [Fact]
    public void GraphBuild_MergeThatDoesNotBroadcast_ShowsBothInputs_BatchIsN()
    {
        var graph = new Graph();
        var x = graph.Apply(new Conv2D(1, 8, 3, padding: 1), graph.Input);
        var y = graph.Apply(new Conv2D(8, 4, 3), x);
        graph.Apply(new Add(), x, y);
        var e = Assert.Throws<ShapeException>(() => graph.Build(new Shape(1, 28, 28)));
        Assert.StartsWith("add_1 Add(): inputs [N, 8, 28, 28] and [N, 4, 26, 26] do not broadcast", e.Message);
    }

    /// <summary>A batch of 8 of the wrong shape: the message shows the 8 the user gave, and the items the model takes.</summary>
    [Fact]
    public void Forward_WrongBatchOf8_ShowsTheUsersBatch()
    {
        var model = new Sequential(new Conv2D(1, 8, 3), new ReLU(), new Flatten(), new Dense(10));
        model.Build(new Shape(1, 28, 28));
        var e = Assert.Throws<ShapeException>(() => model.Forward(new Tensor(new Shape(8, 3, 32, 32))));
        Assert.Equal("Model: expected input [N, 1, 28, 28], got [8, 3, 32, 32].", e.Message);
        var evaluate = Assert.Throws<ShapeException>(() =>
            new Trainer(model, new OptimizerSettings(OptimizerKind.Sgd, 0.1f).Create(model.Parameters))
                .Evaluate(new ImageDataset(new Tensor(new Shape(8, 3, 32, 32)), new int[8], ["a", "b"])));
        Assert.Contains("got [8, 3, 32, 32]", evaluate.Message);
    }

    [Fact]
    public void GetOutputShape_OfABatchOf8_NamesTheLayer_KeepsTheBatch()
    {
        var model = new Sequential(new Conv2D(1, 8, 3), new ReLU(), new Flatten(), new Dense(10));
        model.Build(new Shape(1, 28, 28));
        var e = Assert.Throws<ShapeException>(() => model.GetOutputShape(new Shape(8, 3, 32, 32)));
        Assert.Equal("conv2d_1 Conv2D(1->8, 3x3): expected input with 1 channel, got [8, 3, 32, 32].", e.Message);
    }

    [Fact]
    public void LayerOutputs_OfAnItemOfAnotherShape_SaysWhichItemItTakes()
    {
        var model = new Sequential(new Conv2D(1, 8, 3), new ReLU(), new Flatten(), new Dense(10));
        model.Build(new Shape(1, 28, 28));
        var e = Assert.Throws<ShapeException>(() => LayerOutputs.Collect(model, new Tensor(new Shape(3, 32, 32))));
        Assert.Equal("LayerOutputs: the model takes one item of [1, 28, 28], got [3, 32, 32].", e.Message);
    }

    [Fact]
    public void ToBatchString_NamesTheBatch()
    {
        Assert.Equal("[N, 1, 28, 28]", new Shape(1, 1, 28, 28).ToBatchString());
        Assert.Equal("[batch, 10]", new Shape(64, 10).ToBatchString("batch"));
    }
}
