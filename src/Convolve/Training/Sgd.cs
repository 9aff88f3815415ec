using System.Runtime.Intrinsics;
using Convolve.Layers;

namespace Convolve.Training;

/// <summary>
/// Stochastic gradient descent, with PyTorch's rules for its options. With g the gradient plus
/// <c>weightDecay * p</c>: without momentum <c>p -= lr * g</c>; with momentum <c>v = momentum * v + g</c>
/// (v starts at 0, so the first step moves by g), then <c>p -= lr * v</c>, or with Nesterov
/// <c>p -= lr * (g + momentum * v)</c>.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][] velocity;

    public Sgd(IEnumerable<Parameter> parameters, float learningRate = 0.01f, float momentum = 0,
        bool nesterov = false, float weightDecay = 0) : base(parameters, learningRate)
    {
        if (momentum < 0 || weightDecay < 0) throw new ArgumentException($"Sgd: momentum ({momentum}) and weight decay ({weightDecay}) must not be negative.");
        if (nesterov && momentum == 0) throw new ArgumentException("Sgd: Nesterov momentum needs a momentum above 0.");
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        velocity = momentum > 0 ? NewStateBuffers() : [];
    }

    public float Momentum { get; }
    public bool Nesterov { get; }
    public float WeightDecay { get; }

    protected override unsafe void Update(int index, Span<float> value, ReadOnlySpan<float> gradient)
    {
        if (gradient.Length < value.Length)
            throw new ArgumentException($"Sgd: parameter {index} has {value.Length} values but {gradient.Length} gradients.");
        var v = Momentum > 0 ? velocity[index] : null;
        fixed (float* p = value, g = gradient, m = v)
        {
            // Large tensors split over threads (each value's update is the same whatever the split).
            int parts = value.Length < ParallelLength ? 1 : Math.Clamp(value.Length / ParallelLength, 1, Threads);
            Kernels.Cpu.ParallelParts.Run(parts, parts, new Job(this, p, g, m, value.Length, parts));
        }
    }

    // Below this many values per thread, waking another thread costs more than it saves.
    private const int ParallelLength = 1 << 16;

    private int Threads => MaxThreads > 0 ? Math.Min(MaxThreads, Environment.ProcessorCount) : Environment.ProcessorCount;

    /// <summary>
    /// The update of one contiguous range of a tensor, 16 values at a time then one by one, in the
    /// same operations and rounding either way (a multiply, then an add: no fused multiply-add).
    /// </summary>
    private readonly unsafe struct Job(Sgd optimizer, float* value, float* gradient, float* velocity, int length, int parts)
        : Kernels.Cpu.IParallelPart
    {
        private readonly Sgd Optimizer = optimizer;
        private readonly float* Value = value, Gradient = gradient, Velocity = velocity;
        private readonly int Length = length, Parts = parts;

        public void Run(int part)
        {
            // Ranges start at multiples of 16 values.
            int blocks = (Length + 15) / 16;
            int from = (int)((long)blocks * part / Parts) * 16, to = Math.Min(Length, (int)((long)blocks * (part + 1) / Parts) * 16);
            float lr = Optimizer.LearningRate, decay = Optimizer.WeightDecay, momentum = Optimizer.Momentum;
            bool nesterov = Optimizer.Nesterov;
            var vlr = Vector512.Create(lr);
            var vdecay = Vector512.Create(decay);
            var vmomentum = Vector512.Create(momentum);
            int i = from;
            for (; i + 16 <= to; i += 16)
            {
                var p = Vector512.Load(Value + i);
                var g = Vector512.Load(Gradient + i) + vdecay * p;
                if (Velocity is null)
                {
                    (p - vlr * g).Store(Value + i);
                    continue;
                }
                var v = vmomentum * Vector512.Load(Velocity + i) + g;
                v.Store(Velocity + i);
                (p - vlr * (nesterov ? g + vmomentum * v : v)).Store(Value + i);
            }
            for (; i < to; i++)
            {
                float g = Gradient[i] + decay * Value[i];
                if (Velocity is null)
                {
                    Value[i] -= lr * g;
                    continue;
                }
                float v = momentum * Velocity[i] + g;
                Velocity[i] = v;
                Value[i] -= lr * (nesterov ? g + momentum * v : v);
            }
        }
    }

    public override IEnumerable<(string Name, float[] Values)> State =>
        velocity.Select((v, i) => ($"velocity.{i}", v));
}
