using Convolve.Layers;
using Convolve.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Convolve.Models;

/// <summary>
/// Runs a model given as steps in topological order, forward and backward: step k applies its
/// layer to the values it reads and computes value k + 1; value 0 is the model's input and the
/// last value its output. A <see cref="Sequential"/> is the straight line (step k reads value k);
/// a <see cref="Graph"/> has one step per node. Made once when the model is built, with the
/// blocks of steps <see cref="FusionPlanner"/> fuses; every buffer is reused, so a stream of
/// batches of one shape allocates nothing.
/// </summary>
internal sealed class Executor
{
    private readonly Layer[] layers;
    private readonly int[][] inputs;
    private readonly int[] readers;
    private readonly Func<int, bool> hasTrainableParameters;
    private readonly FusedBlock?[] trainingBlocks, inferenceBlocks;
    private readonly Tensor?[] values, gradients, gradientBuffers;
    private readonly bool[] needsGradient;
    private readonly List<Tensor> mergeInputs = [];
    private int lastComputed;
    private bool inferenceOnlyBlockRan;

    /// <param name="layers">The steps' layers, in topological order.</param>
    /// <param name="inputs">The values each step reads (several only for a <see cref="MergeLayer"/>).</param>
    /// <param name="hasTrainableParameters">Whether step k's layer has a parameter optimizers update (called per backward pass; must not allocate).</param>
    public Executor(IReadOnlyList<Layer> layers, int[][] inputs, Func<int, bool> hasTrainableParameters)
    {
        this.layers = [.. layers];
        this.inputs = inputs;
        this.hasTrainableParameters = hasTrainableParameters;
        readers = new int[layers.Count + 1];
        foreach (var reads in inputs)
            foreach (int v in reads) readers[v]++;
        readers[^1]++; // the model's output
        (trainingBlocks, inferenceBlocks) = FusionPlanner.Plan(this.layers, inputs, readers);
        values = new Tensor?[layers.Count + 1];
        gradients = new Tensor?[layers.Count + 1];
        gradientBuffers = new Tensor?[layers.Count + 1];
        needsGradient = new bool[layers.Count + 1];
        lastComputed = layers.Count; // before any forward pass the layers refuse a backward pass
    }

    /// <summary>
    /// Told after each step of a backward pass, from the last step to the first, every step
    /// included (those the pass had nothing to do for too): once step k is told, the parameter
    /// gradients of its layer are final. Data-parallel training starts summing them then.
    /// </summary>
    public IBackwardStepObserver? StepObserver { get; set; }

    /// <summary>The blocks of steps that run as one in training or in inference, in step order.</summary>
    public IReadOnlyList<FusedBlock> FusedBlocks(bool training) => [.. (training ? trainingBlocks : inferenceBlocks).OfType<FusedBlock>()];

    /// <summary>
    /// Runs the steps on <paramref name="input"/> and returns the last value computed: the
    /// output, or with <paramref name="logits"/> the input of a final <see cref="Softmax"/>.
    /// </summary>
    public Tensor Forward(Tensor input, bool training, bool logits)
    {
        int last = logits && layers[^1] is Softmax ? layers.Length - 1 : layers.Length;
        values[0] = input;
        lastComputed = last;
        inferenceOnlyBlockRan = false;
        Run(last, training, training ? trainingBlocks : inferenceBlocks);
        return values[last]!;
    }

    // Steps 0 to last - 1, value 0 set.
    private void Run(int last, bool training, FusedBlock?[] blocks)
    {
        for (int k = 0; k < last;)
        {
            if (blocks[k] is { } block && k + block.Length <= last && (block.Folded is null || block.FoldPays(values[inputs[k][0]]!.Shape)))
                k = RunBlock(k, block, training);
            else
            {
                values[k + 1] = layers[k] is MergeLayer merge ? merge.Forward(MergeInputs(k), training) : layers[k].Forward(values[inputs[k][0]]!, training);
                k++;
            }
        }
    }

    private List<Tensor> MergeInputs(int k)
    {
        mergeInputs.Clear();
        foreach (int v in inputs[k]) mergeInputs.Add(values[v]!);
        return mergeInputs;
    }

    // Runs the block beginning at step k and returns the step after it.
    private int RunBlock(int k, FusedBlock block, bool training)
    {
        var input = values[inputs[k][0]]!;
        int v = k + 1; // the value the next layer of the block computes
        if (block.Norm is null && block.Pool is null)
        {
            // Convolution and ReLU in one pass; the convolution also does the ReLU's backward.
            values[v] = block.Conv.ForwardRectified(input, training);
            values[v + 1] = block.ReLU!.ForwardFused(values[v]!);
            return k + 2;
        }

        ReadOnlySpan<float> weight = block.Conv.Weight.Value.Span;
        ReadOnlySpan<float> bias = block.Conv.Bias is null ? default : block.Conv.Bias.Value.Span;
        if (block.Folded is { } folded)
        {
            folded.Update();
            weight = folded.Weight;
            bias = folded.Bias;
        }
        if (block.Pool is not null && block.Conv.TryForwardRectifiedPooledWith(input, block.Pool, weight, bias) is { } pooled)
        {
            // Convolution, ReLU and 2x2 max pooling in one pass, the convolution's output never written.
            inferenceOnlyBlockRan = true;
            values[k + block.Length] = pooled;
            return k + block.Length;
        }
        Tensor output;
        if (block.Norm is null) output = block.Conv.ForwardRectified(input); // a block without a normalisation has a ReLU
        else
        {
            output = block.Conv.ForwardInference(input, weight, bias, rectify: block.ReLU is not null);
            inferenceOnlyBlockRan = true;
        }
        values[v++] = output;
        if (block.Norm is not null) values[v++] = output;
        if (block.ReLU is not null) values[v++] = block.ReLU.ForwardFused(output);
        if (block.Pool is not null) values[v] = block.Pool.Forward(output);
        return k + block.Length;
    }

    /// <summary>Back-propagates <paramref name="dOutput"/> through every step and returns dInput.</summary>
    public Tensor Backward(Tensor dOutput)
    {
        // Every value's gradient is wanted, the input's too.
        Array.Fill(needsGradient, true);
        Propagate(dOutput);
        return gradients[0]!;
    }

    /// <summary>
    /// Back-propagates <paramref name="dOutput"/> into the parameters only: a value's gradient is
    /// computed only if the value depends on a trainable parameter, and a step none of whose
    /// inputs needs one only adds to its parameters' gradients (<see cref="Layer.BackwardParameters"/>).
    /// </summary>
    public void BackwardParameters(Tensor dOutput)
    {
        needsGradient[0] = false;
        for (int k = 0; k < layers.Length; k++)
        {
            bool depends = hasTrainableParameters(k);
            foreach (int v in inputs[k]) depends |= needsGradient[v];
            needsGradient[k + 1] = depends;
        }
        Propagate(dOutput);
    }

    // Back from the last computed value, into the values whose gradient is wanted.
    private void Propagate(Tensor dOutput)
    {
        RecomputeInferenceOnlyBlocks();
        Array.Clear(gradients);
        gradients[lastComputed] = dOutput;
        for (int k = lastComputed - 1; k >= 0; k--)
        {
            BackwardStep(k);
            StepObserver?.AfterBackwardStep(k);
        }
    }

    private void BackwardStep(int k)
    {
        var dValue = gradients[k + 1];
        if (dValue is null || !needsGradient[k + 1]) return;
        var reads = inputs[k];
        bool inputsNeedGradient = false;
        foreach (int v in reads) inputsNeedGradient |= needsGradient[v];
        if (!inputsNeedGradient)
            layers[k].BackwardParameters(dValue);
        else if (layers[k] is MergeLayer merge)
        {
            var dInputs = merge.BackwardAll(dValue);
            for (int i = 0; i < reads.Length; i++)
                if (needsGradient[reads[i]]) Accumulate(reads[i], dInputs[i]);
        }
        else Accumulate(reads[0], layers[k].Backward(dValue));
    }

    // A backward pass after an inference pass works whichever blocks that pass fused: if one kept
    // nothing for a backward pass (pooling fused, a batch normalisation folded), the pass runs
    // again without them, exactly as the layers compute it (folding changes the rounding), before
    // going back through it. Only a backward pass after inference pays for it.
    private void RecomputeInferenceOnlyBlocks()
    {
        if (!inferenceOnlyBlockRan) return;
        inferenceOnlyBlockRan = false;
        Run(lastComputed, training: false, trainingBlocks);
    }

    // Adds one reader's gradient to value j's. A value with one reader takes the layer's tensor as
    // it is; a value with several sums them in a buffer of the executor's.
    private void Accumulate(int j, Tensor gradient)
    {
        if (gradients[j] is null)
        {
            if (readers[j] == 1)
            {
                gradients[j] = gradient;
                return;
            }
            var buffer = Tensor.Reuse(ref gradientBuffers[j], gradient.Shape);
            gradient.Span.CopyTo(buffer.Span);
            gradients[j] = buffer;
            return;
        }
        TensorPrimitives.Add(gradients[j]!.Span, gradient.Span, gradients[j]!.Span);
    }
}

/// <summary>Told by an <see cref="Executor"/> after each step of a backward pass (must not allocate).</summary>
internal interface IBackwardStepObserver
{
    /// <summary>Step <paramref name="step"/>'s backward is done: its layer's parameter gradients are final.</summary>
    void AfterBackwardStep(int step);
}
