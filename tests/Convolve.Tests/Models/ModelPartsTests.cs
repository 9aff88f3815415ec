using Convolve.Layers;
using Convolve.Models;
using Convolve.Tensors;
using Convolve.Tests.Layers;

namespace Convolve.Tests.Models;

public class ModelPartsTests
{
    // conv, relu, [conv, relu, conv] + skip, relu, pool, flatten, dense: a cut inside the residual
    // block would need two tensors, so layers 3 and 4 (after the first block conv and its ReLU) are not cut points.
    private static Graph Residual()
    {
        var graph = new Graph();
        var x = graph.Apply(new ReLU(), graph.Apply(new Conv2D(1, 3, 3, padding: 1), graph.Input));  // nodes 1, 2
        var branch = graph.Apply(new Conv2D(3, 3, 3, padding: 1), x);                                 // 3
        branch = graph.Apply(new Conv2D(3, 3, 3, padding: 1), graph.Apply(new ReLU(), branch));       // 4, 5
        x = graph.Apply(new ReLU(), graph.Apply(new Add(), x, branch));                               // 6, 7
        graph.Apply(new Dense(2), graph.Apply(new Flatten(), graph.Apply(new MaxPool2D(2), x)));      // 8, 9, 10
        graph.Build(new Shape(1, 6, 6), seed: 2);
        return graph;
    }

    private static Sequential Chain()
    {
        var model = new Sequential(new Conv2D(1, 2, 3), new ReLU(), new MaxPool2D(2), new Flatten(), new Dense(3), new Softmax());
        model.Build(new Shape(1, 8, 8), seed: 4);
        return model;
    }

    [Fact]
    public void CutPoints_OfAGraph_AreBetweenBlocks_NotInsideThem()
    {
        // Worked out by hand from the node list above: after node 1 (conv) and 2 (relu) the skip
        // and the branch both read node 2, so only 2 is a cut; inside the block (3, 4, 5, 6)
        // node 2 is still needed by the Add.
        Assert.Equal([1, 2, 6, 7, 8, 9], ModelParts.CutPoints(Residual()));
        Assert.Equal([1, 2, 3, 4, 5], ModelParts.CutPoints(Chain()));
    }

    [Fact]
    public void Split_FrontThenBack_ComputesWhatTheWholeModelComputes_AtEveryCut()
    {
        foreach (var make in new Func<Model>[] { Residual, Chain })
        {
            foreach (int cut in ModelParts.CutPoints(make()))
            {
                var model = make();
                var input = GradientCheck.RandomTensor(model.InputShape.Prepend(3), new Random(cut));
                var expected = model.Forward(input).ToArray();
                var (front, back) = ModelParts.Split(model, cut);
                Assert.Equal(cut, front.Layers.Count);
                Assert.Equal(expected, back.Forward(front.Forward(input)).ToArray());
            }
        }
    }

    [Fact]
    public void Split_AtAPlaceThatIsNotACut_ListsTheCuts()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelParts.Split(Residual(), 4));
        Assert.Equal("ModelParts.Split: the model cannot be cut after 4 layers; it can after 1, 2, 6, 7, 8, 9.", e.Message);
    }

    [Fact]
    public void Concatenate_OfASplit_GivesTheModelBack_AsAGraphOrASequential()
    {
        var reference = Residual();
        var input = GradientCheck.RandomTensor(reference.InputShape.Prepend(2), new Random(7));
        var expected = reference.Forward(input).ToArray();
        var (front, back) = ModelParts.Split(Residual(), 2);
        var joined = ModelParts.Concatenate(front, back);
        Assert.IsType<Graph>(joined);
        Assert.Equal(expected, joined.Forward(input).ToArray());

        var chain = Chain();
        var chainInput = GradientCheck.RandomTensor(chain.InputShape.Prepend(2), new Random(8));
        var chainExpected = chain.Forward(chainInput).ToArray();
        var (f, b) = ModelParts.Split(chain, 3);
        var rejoined = ModelParts.Concatenate(f, b);
        Assert.IsType<Sequential>(rejoined);
        Assert.Equal(chainExpected, rejoined.Forward(chainInput).ToArray());
    }

    [Fact]
    public void Concatenate_RefusesMismatchedShapes_AndClashingNames()
    {
        var a = new Sequential(new Flatten(), new Dense(4));
        a.Build(new Shape(1, 2, 2), seed: 1);
        var b = new Sequential(new Dense(3));
        b.Build(new Shape(5), seed: 1);
        var e = Assert.Throws<ShapeException>(() => ModelParts.Concatenate(a, b));
        Assert.Equal("ModelParts.Concatenate: part 1 outputs items of [4], but part 2 takes [5].", e.Message);
        var c = new Sequential(new Dense(3));
        c.Build(new Shape(4), seed: 1);   // its layer is also named dense_1
        var clash = Assert.Throws<ArgumentException>(() => ModelParts.Concatenate(a, c));
        Assert.Equal("ModelParts.Concatenate: two layers are named 'dense_1'; rename one before joining.", clash.Message);
    }

    [Fact]
    public void CutBefore_PutsTheLastLayersWithWeightsInTheBack()
    {
        var graph = Residual();
        // Layers with weights: conv (1), conv (3), conv (5), dense (10). The last one: after cut 9.
        Assert.Equal(9, ModelParts.CutBefore(graph, 1));
        // The last two: the conv at node 5 is inside the block, so the cut goes back to 2.
        Assert.Equal(2, ModelParts.CutBefore(graph, 2));
        Assert.Equal(2, ModelParts.CutBefore(graph, 3));
        Assert.Equal(0, ModelParts.CutBefore(graph, 4));
        Assert.Equal(0, ModelParts.CutBefore(graph, 9));
    }
}
