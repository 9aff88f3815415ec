using System.Buffers.Binary;
using Convolve.Onnx.Protos;
using Convolve.Tensors;
using Google.Protobuf;
using DataType = Convolve.Onnx.Protos.TensorProto.Types.DataType;

namespace Convolve.Onnx;

/// <summary>
/// Constant folding and shape inference at import. A node whose inputs are all constants
/// (initializers, Constant nodes, or values folded before it), and a Shape or Size of a computed
/// value, is computed once here; its output becomes a constant and the node leaves no layer.
/// Exporters write such chains for shapes (<c>x.view(x.size(0), -1)</c> becomes Shape -> Gather ->
/// Unsqueeze -> Concat -> Reshape) and for shared weights (Identity of an initializer).
/// <para>
/// The batch size stays open: a Shape of a computed value holds the marker <see cref="Batch"/> in
/// its first entry, which Gather, Unsqueeze, Squeeze, Concat, Slice, Reshape and integer Cast carry
/// along. A Reshape whose target starts with it copies the batch (target entry 0); any other use
/// of a value that depends on the batch is refused by <see cref="ImportPlan"/>, naming the node
/// that reads it.
/// </para>
/// </summary>
internal sealed class ConstantFolder(string source, Dictionary<string, TensorProto> constants)
{
    /// <summary>An entry of an integer value that is the model's batch size.</summary>
    public const long Batch = long.MinValue;

    /// <summary>An entry computed from the batch size (e.g. N * C), which nothing can fix at import.</summary>
    public const long Unknown = long.MinValue + 1;

    /// <summary>The operators folded when their inputs are constants.</summary>
    public static IReadOnlyList<string> Operators { get; } =
    [
        "Identity", "Shape", "Size", "Gather", "Cast", "Squeeze", "Unsqueeze", "Concat", "Slice", "Range", "ConstantOfShape", "Expand",
        "Transpose", "Reshape", "Flatten", "Add", "Sub", "Mul", "Div", "Pow", "Neg", "Abs", "Sqrt", "Reciprocal", "Floor", "Ceil",
        "Min", "Max", "Equal", "Less", "Greater", "Not", "Where",
    ];

    private static readonly HashSet<string> Foldable = [.. Operators];

    // Folded integer values that hold Batch or Unknown entries, in their true form; constants
    // holds them with Batch written as 0, the form a Reshape reads.
    private readonly Dictionary<string, Value> open = new(StringComparer.Ordinal);

    // The node that made each open value, for messages.
    private readonly Dictionary<string, NodeProto> openFrom = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="name"/> is a folded value that depends on the batch size.</summary>
    public bool IsOpen(string name) => open.ContainsKey(name);

    /// <summary>
    /// Whether the folded value <paramref name="name"/> can be a Reshape's target: the batch marker
    /// in its first entry only, every other entry fixed.
    /// </summary>
    public bool IsReshapeTarget(string name) =>
        open.TryGetValue(name, out var v) && v.Ints is { Length: > 0 } ints && ints[0] == Batch && !ints[1..].Any(IsMarker);

    /// <summary>Why the open value <paramref name="name"/>, a node's input <paramref name="input"/>, cannot be used there: a refusal's reason.</summary>
    public string WhyOpen(string name, int input) =>
        $"input {input} ('{name}') depends on the batch size (it comes from {openFrom[name].Describe()}), which stays open at import; " +
        "Convolve can use such a value only as a Reshape's target or a Resize's sizes whose first entry is the batch";

    /// <summary>
    /// Folds <paramref name="node"/> when it computes on constants only, or is Shape or Size of a
    /// computed value whose shape <paramref name="shapeOf"/> knows (batch first, the batch open).
    /// Returns false, changing nothing, when the node computes on the model's input.
    /// </summary>
    public bool TryFold(NodeProto node, Func<string, Shape?> shapeOf)
    {
        if (!Foldable.Contains(node.OpType) || node.Domain is not ("" or "ai.onnx") || node.Output.Count == 0) return false;
        var inputs = node.Input.Where(i => i.Length > 0).ToList();
        if (inputs.Count == 0) return false;   // nothing to fold from; the layer's rule says what is missing
        bool allConstant = inputs.All(constants.ContainsKey);
        Value result;
        if (node.OpType is "Shape" or "Size" && inputs.Count == 1 && !allConstant)
        {
            if (shapeOf(inputs[0]) is not { } shape) return false;
            long[] dims = [Batch, .. shape.Dims[1..].ToArray().Select(d => (long)d)];
            result = node.OpType == "Shape" ? ShapeOf(node, dims) : Value.Scalar(Unknown);
        }
        else if (!allConstant) return false;
        else result = Evaluate(node);
        Store(node, result);
        return true;
    }

    private void Store(NodeProto node, Value result)
    {
        string name = node.Output[0];
        if (result.Ints is { } ints && ints.Any(IsMarker))
        {
            open[name] = result;
            openFrom[name] = node;
            result = result with { Ints = [.. ints.Select(e => e == Batch ? 0 : e)] };
        }
        constants[name] = result.ToProto(name);
    }

    private static bool IsMarker(long e) => e is Batch or Unknown;

    // The value of input i: the open form when there is one, else the constant.
    private Value Input(NodeProto node, int i)
    {
        if (!Has(node, i)) throw Refuse(node, $"input {i} is missing");
        string name = node.Input[i];
        if (open.TryGetValue(name, out var v)) return v;
        var fixedValue = Value.From(constants[name], $"{source}: {node.Describe()} input '{name}'");
        // Exporters write int64's extremes as unbounded slice ends (PyTorch: -2^63 + 1 when slicing
        // backwards), which equal the markers. A fixed constant is never open, so such an entry moves
        // one step inward: still far beyond any dimension, and no longer read as the batch.
        return fixedValue.Ints is { } ints && ints.Any(IsMarker)
            ? fixedValue with { Ints = [.. ints.Select(e => IsMarker(e) ? Unknown + 1 : e)] }
            : fixedValue;
    }

    private bool Has(NodeProto node, int i) => i < node.Input.Count && node.Input[i].Length > 0;

    private OnnxImportException Refuse(NodeProto node, string why) => new($"{source}: {node.Describe()}: {why}.");

    private Value Evaluate(NodeProto node)
    {
        switch (node.OpType)
        {
            case "Identity": return Input(node, 0);
            case "Shape": return ShapeOf(node, Input(node, 0).Dims);
            case "Size": return Value.Scalar(Input(node, 0).Count);
            case "Cast": return Cast(node, Input(node, 0), (DataType)node.GetInt("to", 0));
            case "Gather": return Gather(node);
            case "Squeeze" or "Unsqueeze": return SqueezeOrUnsqueeze(node);
            case "Concat": return Concat(node);
            case "Slice": return Slice(node);
            case "Range": return Range(node);
            case "ConstantOfShape": return ConstantOfShape(node);
            case "Expand": return Expand(node);
            case "Transpose": return Transpose(node);
            case "Reshape": return Reshape(node);
            case "Flatten": return Flatten(node);
            case "Where": return Where(node);
            case "Not":
                var x = Input(node, 0);
                return x with { Ints = [.. x.Ints!.Select(e => IsMarker(e) ? Unknown : e == 0 ? 1L : 0)] };
            default: return Arithmetic(node);
        }
    }

    // ---- Shapes ----------------------------------------------------------------------------

    private Value ShapeOf(NodeProto node, long[] dims)
    {
        // Opset 15's start and end select a range of the dimensions, clamped like Slice.
        long rank = dims.Length;
        long start = Clamp(node.GetInt("start", 0), rank), end = Clamp(node.GetInt("end", rank), rank);
        return Value.Vector([.. dims[(int)start..(int)Math.Max(start, end)]]);
    }

    private static long Clamp(long index, long length) => Math.Clamp(index < 0 ? index + length : index, 0, length);

    private Value Cast(NodeProto node, Value x, DataType to)
    {
        if (to is DataType.Float or DataType.Double or DataType.Float16)
        {
            if (x.Floats is not null) return x with { Type = DataType.Float };
            if (x.Ints!.Any(IsMarker)) throw Refuse(node, "casts a value that depends on the batch size to a floating-point type");
            return new Value(DataType.Float, x.Dims, [.. x.Ints!.Select(e => (float)e)], null);
        }
        if (to is DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.Int8 or DataType.Uint8 or DataType.Bool)
        {
            // Float to integer truncates toward zero, as numpy's astype does.
            long[] ints = x.Ints ?? [.. x.Floats!.Select(f => to == DataType.Bool ? (f != 0 ? 1L : 0) : (long)f)];
            if (to == DataType.Bool && x.Ints is not null) ints = [.. ints.Select(e => IsMarker(e) ? Unknown : e != 0 ? 1L : 0)];
            return new Value(to, x.Dims, null, ints);
        }
        throw Refuse(node,
            $"casts to {OnnxTensor.DataTypeName((int)to)}, which Convolve does not fold (it folds FLOAT, DOUBLE, and the integer and BOOL types)");
    }

    private Value Gather(NodeProto node)
    {
        var data = Input(node, 0);
        var indices = Input(node, 1);
        if (indices.Ints is not { } index || index.Any(IsMarker)) throw Refuse(node, "the indices are not fixed integers");
        int rank = data.Dims.Length;
        if (rank == 0) throw Refuse(node, "the data is a scalar, which has no axis to gather from");
        int axis = (int)Axis(node, node.GetInt("axis", 0), rank);
        long size = data.Dims[axis];
        long[] dims = [.. data.Dims[..axis], .. indices.Dims, .. data.Dims[(axis + 1)..]];
        long outer = Product(data.Dims[..axis]), inner = Product(data.Dims[(axis + 1)..]);
        var take = new List<int>();
        for (long o = 0; o < outer; o++)
            foreach (long raw in index)
            {
                long i = raw < 0 ? raw + size : raw;
                if (i < 0 || i >= size) throw Refuse(node, $"index {raw} is out of range for axis {axis} of size {size}");
                for (long k = 0; k < inner; k++) take.Add((int)((o * size + i) * inner + k));
            }
        return data.Take(dims, take);
    }

    private Value SqueezeOrUnsqueeze(NodeProto node)
    {
        var x = Input(node, 0);
        long[]? axes = Has(node, 1) ? Ints(node, 1) : node.GetInts("axes");
        var dims = x.Dims.ToList();
        if (node.OpType == "Squeeze")
        {
            var drop = axes is null ? [.. Enumerable.Range(0, dims.Count).Where(a => dims[a] == 1)]
                : axes.Select(a => (int)Axis(node, a, dims.Count)).ToHashSet();
            dims = [.. dims.Where((_, a) => !drop.Contains(a))];
        }
        else
        {
            if (axes is null) throw Refuse(node, "the axes are missing");
            int rank = dims.Count + axes.Length;
            foreach (int a in axes.Select(a => (int)Axis(node, a, rank)).Order()) dims.Insert(a, 1);
        }
        return x with { Dims = [.. dims] };
    }

    private Value Concat(NodeProto node)
    {
        var parts = Enumerable.Range(0, node.Input.Count).Where(i => Has(node, i)).Select(i => Input(node, i)).ToList();
        int rank = parts[0].Dims.Length;
        if (rank == 0 || parts.Any(p => p.Dims.Length != rank || (p.Floats is null) != (parts[0].Floats is null)))
            throw Refuse(node, "the inputs are scalars, or differ in rank or element type");
        int axis = (int)Axis(node, node.GetInt("axis", 0), rank);
        long outer = Product(parts[0].Dims[..axis]);
        var dims = (long[])parts[0].Dims.Clone();
        dims[axis] = parts.Sum(p => p.Dims[axis]);
        var joined = parts[0] with { Dims = dims };
        var floats = parts[0].Floats is null ? null : new List<float>();
        var ints = parts[0].Ints is null ? null : new List<long>();
        for (long o = 0; o < outer; o++)
            foreach (var p in parts)
            {
                if (p.Dims.Length != rank || (p.Floats is null) != (floats is null))
                    throw Refuse(node, "the inputs differ in rank or element type");
                long chunk = p.Count / Math.Max(outer, 1);
                if (floats is not null) floats.AddRange(p.Floats!.Skip((int)(o * chunk)).Take((int)chunk));
                else ints!.AddRange(p.Ints!.Skip((int)(o * chunk)).Take((int)chunk));
            }
        return joined with { Floats = floats?.ToArray(), Ints = ints?.ToArray() };
    }

    private Value Slice(NodeProto node)
    {
        var x = Input(node, 0);
        int rank = x.Dims.Length;
        if (rank == 0) throw Refuse(node, "the data is a scalar, which has no axis to slice");
        long[] starts, ends, axes, steps;
        if (Has(node, 1))
        {
            starts = Ints(node, 1);
            ends = Ints(node, 2);
            axes = Has(node, 3) ? Ints(node, 3) : [.. Enumerable.Range(0, starts.Length).Select(a => (long)a)];
            steps = Has(node, 4) ? Ints(node, 4) : [.. starts.Select(_ => 1L)];
        }
        else
        {
            starts = node.GetInts("starts") ?? throw Refuse(node, "the starts are missing");
            ends = node.GetInts("ends") ?? throw Refuse(node, "the ends are missing");
            axes = node.GetInts("axes") ?? [.. Enumerable.Range(0, starts.Length).Select(a => (long)a)];
            steps = [.. starts.Select(_ => 1L)];
        }
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw Refuse(node, "starts, ends, axes and steps differ in length");
        // Per axis, the indices kept, in order (numpy's slicing, with ONNX's clamping).
        var kept = x.Dims.Select(d => Enumerable.Range(0, (int)d).Select(i => (long)i).ToList()).ToArray();
        for (int k = 0; k < starts.Length; k++)
        {
            int a = (int)Axis(node, axes[k], rank);
            long size = x.Dims[a], step = steps[k];
            if (step == 0) throw Refuse(node, "a step is 0");
            long s = starts[k] < 0 ? starts[k] + size : starts[k], e = ends[k] < 0 ? ends[k] + size : ends[k];
            var list = new List<long>();
            if (step > 0)
                for (long i = Math.Clamp(s, 0, size), end = Math.Clamp(e, 0, size); i < end; i += step) list.Add(i);
            else
                for (long i = Math.Clamp(s, -1, size - 1), end = Math.Clamp(e, -1, size - 1); i > end; i += step) list.Add(i);
            kept[a] = list;
        }
        long[] dims = [.. kept.Select(k => (long)k.Count)];
        var strides = Strides(x.Dims);
        var take = new List<int>();
        Walk(kept, 0, 0, strides, take);
        return x.Take(dims, take);
    }

    private static void Walk(List<long>[] kept, int axis, long offset, long[] strides, List<int> take)
    {
        if (axis == kept.Length) { take.Add((int)offset); return; }
        foreach (long i in kept[axis]) Walk(kept, axis + 1, offset + i * strides[axis], strides, take);
    }

    private Value Range(NodeProto node)
    {
        var (start, limit, delta) = (Input(node, 0), Input(node, 1), Input(node, 2));
        if (start.Floats is not null)
        {
            if (start.Floats.Length != 1 || limit.Floats?.Length != 1 || delta.Floats?.Length != 1)
                throw Refuse(node, "start, limit and delta are not scalars of one type");
            float s = start.Floats[0], l = limit.Floats![0], d = delta.Floats![0];
            double steps = Math.Ceiling((l - s) / (double)d);
            if (!(steps <= 1 << 24)) throw Refuse(node, "the range is empty of meaning or holds too many values to fold (over 16 million)");
            int n = Math.Max((int)steps, 0);
            return Value.Vector(DataType.Float, [.. Enumerable.Range(0, n).Select(i => s + i * d)]);
        }
        if (start.Ints!.Length != 1 || limit.Ints?.Length != 1 || delta.Ints?.Length != 1)
            throw Refuse(node, "start, limit and delta are not scalars of one type");
        long si = start.Ints![0], li = limit.Ints![0], di = delta.Ints![0];
        if (IsMarker(si) || IsMarker(li) || IsMarker(di)) throw Refuse(node, "its bounds depend on the batch size");
        if (di == 0) throw Refuse(node, "delta is 0");
        long count = Math.Max((long)Math.Ceiling((double)(li - si) / di), 0);
        if (count > 1 << 24) throw Refuse(node, $"the range holds {count} values, too many to fold (over 16 million)");
        return Value.Vector([.. Enumerable.Range(0, (int)count).Select(i => si + i * di)]) with { Type = start.Type };
    }

    private Value ConstantOfShape(NodeProto node)
    {
        long[] dims = Ints(node, 0);
        var fill = node.GetTensor("value") is { } t ? Value.From(t, $"{source}: {node.Describe()} value") : new Value(DataType.Float, [1], [0f], null);
        return Broadcast(node, fill with { Dims = [] }, dims);
    }

    private Value Expand(NodeProto node)
    {
        var x = Input(node, 0);
        long[] target = Ints(node, 1);
        // Expand broadcasts both ways: the result has the larger of each pair of sizes.
        int rank = Math.Max(x.Dims.Length, target.Length);
        var dims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long a = At(x.Dims, i, rank), b = At(target, i, rank);
            dims[i] = a == 1 ? b : b == 1 || b == a ? a
                : throw Refuse(node, $"shape [{string.Join(", ", x.Dims)}] does not expand to [{string.Join(", ", target)}]");
        }
        return Broadcast(node, x, dims);
    }

    private Value Transpose(NodeProto node)
    {
        var x = Input(node, 0);
        int rank = x.Dims.Length;
        long[] perm = node.GetInts("perm") ?? [.. Enumerable.Range(0, rank).Reverse().Select(a => (long)a)];
        if (perm.Length != rank || perm.Order().Where((a, i) => a != i).Any())
            throw Refuse(node, $"perm [{string.Join(", ", perm)}] is not a permutation of {rank} axes");
        long[] dims = [.. perm.Select(a => x.Dims[a])];
        var strides = Strides(x.Dims);
        var kept = dims.Select(d => Enumerable.Range(0, (int)d).Select(i => (long)i).ToList()).ToArray();
        var take = new List<int>();
        Walk(kept, 0, 0, [.. perm.Select(a => strides[a])], take);
        return x.Take(dims, take);
    }

    private Value Reshape(NodeProto node)
    {
        var x = Input(node, 0);
        long[] target = Ints(node, 1);
        bool allowZero = node.GetInt("allowzero", 0) != 0;
        var dims = new long[target.Length];
        int inferred = -1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == 0 && !allowZero)
                dims[i] = i < x.Dims.Length ? x.Dims[i]
                    : throw Refuse(node, $"entry {i} copies a dimension the input [{string.Join(", ", x.Dims)}] does not have");
            else if (target[i] < -1) throw Refuse(node, $"shape [{string.Join(", ", target)}] has a negative entry other than -1");
            else if (target[i] == -1) inferred = inferred < 0 ? i : throw Refuse(node, "the shape has two -1 entries");
            else dims[i] = target[i];
        }
        if (inferred >= 0)
        {
            long rest = Product([.. dims.Where((_, i) => i != inferred)]);
            dims[inferred] = rest == 0 ? 0 : x.Count / rest;
        }
        if (Product(dims) != x.Count)
            throw Refuse(node, $"shape [{string.Join(", ", target)}] does not hold the {x.Count} values of [{string.Join(", ", x.Dims)}]");
        return x with { Dims = dims };
    }

    private Value Flatten(NodeProto node)
    {
        var x = Input(node, 0);
        int axis = (int)Axis(node, node.GetInt("axis", 1), x.Dims.Length + 1);
        return x with { Dims = [Product(x.Dims[..axis]), Product(x.Dims[axis..])] };
    }

    // ---- Element-wise ----------------------------------------------------------------------

    private Value Arithmetic(NodeProto node)
    {
        var a = Input(node, 0);
        if (node.OpType is "Neg" or "Abs" or "Sqrt" or "Reciprocal" or "Floor" or "Ceil")
            return Map(node, a, node.OpType switch
            {
                "Neg" => static x => -x,
                "Abs" => MathF.Abs,
                "Sqrt" => MathF.Sqrt,
                "Reciprocal" => static x => 1 / x,
                "Floor" => MathF.Floor,
                _ => MathF.Ceiling,
            }, unaryInt: node.OpType switch { "Neg" => static x => -x, "Abs" => Math.Abs, "Floor" or "Ceil" => static x => x, _ => null });
        if (node.OpType is "Min" or "Max" or "Add" or "Sum" && node.Input.Count > 2)
        {
            var acc = a;
            for (int i = 1; i < node.Input.Count; i++) acc = Binary(node, acc, Input(node, i));
            return acc;
        }
        return Binary(node, a, Input(node, 1));
    }

    private Value Binary(NodeProto node, Value a, Value b)
    {
        bool compare = node.OpType is "Equal" or "Less" or "Greater";
        if ((a.Floats is null) != (b.Floats is null)) throw Refuse(node, "its inputs have different element types");
        int rank = Math.Max(a.Dims.Length, b.Dims.Length);
        var dims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long x = At(a.Dims, i, rank), y = At(b.Dims, i, rank);
            dims[i] = x == y || y == 1 ? x : x == 1 ? y
                : throw Refuse(node, $"inputs [{string.Join(", ", a.Dims)}] and [{string.Join(", ", b.Dims)}] do not broadcast");
        }
        var ia = BroadcastIndex(a.Dims, dims);
        var ib = BroadcastIndex(b.Dims, dims);
        if (a.Floats is { } fa)
        {
            var fb = b.Floats!;
            Func<float, float, float> f = node.OpType switch
            {
                "Add" or "Sum" => static (x, y) => x + y,
                "Sub" => static (x, y) => x - y,
                "Mul" => static (x, y) => x * y,
                "Div" => static (x, y) => x / y,
                "Pow" => MathF.Pow,
                "Min" => MathF.Min,
                "Max" => MathF.Max,
                "Equal" => static (x, y) => x == y ? 1 : 0,
                "Less" => static (x, y) => x < y ? 1 : 0,
                _ => static (x, y) => x > y ? 1 : 0,
            };
            var values = new float[ia.Length];
            for (int i = 0; i < values.Length; i++) values[i] = f(fa[ia[i]], fb[ib[i]]);
            return compare ? new Value(DataType.Bool, dims, null, [.. values.Select(v => (long)v)]) : new Value(DataType.Float, dims, values, null);
        }
        var la = a.Ints!;
        var lb = b.Ints!;
        Func<long, long, long> g = node.OpType switch
        {
            "Add" or "Sum" => static (x, y) => x + y,
            "Sub" => static (x, y) => x - y,
            "Mul" => static (x, y) => x * y,
            // Integer division truncates toward zero (C's rule, which ONNX Runtime follows).
            "Div" => (x, y) => y != 0 ? x / y : throw Refuse(node, "divides by zero"),
            "Pow" => static (x, y) => (long)Math.Pow(x, y),
            "Min" => Math.Min,
            "Max" => Math.Max,
            "Equal" => static (x, y) => x == y ? 1 : 0,
            "Less" => static (x, y) => x < y ? 1 : 0,
            _ => static (x, y) => x > y ? 1 : 0,
        };
        var result = new long[ia.Length];
        for (int i = 0; i < result.Length; i++)
        {
            long x = la[ia[i]], y = lb[ib[i]];
            result[i] = IsMarker(x) || IsMarker(y) ? Unknown : g(x, y);
        }
        return new Value(compare ? DataType.Bool : a.Type, dims, null, result);
    }

    private Value Map(NodeProto node, Value x, Func<float, float> unary, Func<long, long>? unaryInt)
    {
        if (x.Floats is { } f) return x with { Floats = [.. f.Select(unary)] };
        if (unaryInt is null) throw Refuse(node, "computes a floating-point function of integers");
        return x with { Ints = [.. x.Ints!.Select(e => IsMarker(e) ? Unknown : unaryInt(e))] };
    }

    private Value Where(NodeProto node)
    {
        var (c, a, b) = (Input(node, 0), Input(node, 1), Input(node, 2));
        int rank = new[] { c.Dims.Length, a.Dims.Length, b.Dims.Length }.Max();
        var dims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long[] sizes = [At(c.Dims, i, rank), At(a.Dims, i, rank), At(b.Dims, i, rank)];
            dims[i] = sizes.Max();
            if (sizes.Any(d => d != 1 && d != dims[i])) throw Refuse(node, "its inputs do not broadcast");
        }
        if (c.Ints is null || (a.Floats is null) != (b.Floats is null))
            throw Refuse(node, "the condition is not boolean, or the values differ in element type");
        var ic = BroadcastIndex(c.Dims, dims);
        var ia = BroadcastIndex(a.Dims, dims);
        var ib = BroadcastIndex(b.Dims, dims);
        if (c.Ints!.Any(IsMarker)) throw Refuse(node, "the condition depends on the batch size");
        if (a.Floats is not null)
            return new Value(a.Type, dims, [.. ic.Select((k, i) => c.Ints![k] != 0 ? a.Floats[ia[i]] : b.Floats![ib[i]])], null);
        return new Value(a.Type, dims, null, [.. ic.Select((k, i) => c.Ints![k] != 0 ? a.Ints![ia[i]] : b.Ints![ib[i]])]);
    }

    private Value Broadcast(NodeProto node, Value x, long[] dims)
    {
        if (dims.Any(IsMarker) || x.Ints?.Any(IsMarker) == true) throw Refuse(node, "the shape depends on the batch size");
        if (dims.Any(d => d < 0)) throw Refuse(node, $"shape [{string.Join(", ", dims)}] has a negative dimension");
        if (Product(dims) > 1 << 24) throw Refuse(node, $"the result [{string.Join(", ", dims)}] is too large to fold (over 16 million values)");
        var index = BroadcastIndex(x.Dims, dims);
        return x.Take(dims, [.. index]);
    }

    // For each element of the broadcast result of shape dims, the index of the element of a value of shape from.
    private static int[] BroadcastIndex(long[] from, long[] dims)
    {
        int rank = dims.Length;
        long count = Product(dims);
        var index = new int[count];
        var fromStrides = Strides(from);
        for (long i = 0; i < count; i++)
        {
            long rest = i, offset = 0;
            for (int d = rank - 1; d >= 0; d--)
            {
                long coordinate = rest % dims[d];
                rest /= dims[d];
                int f = d - (rank - from.Length);
                if (f >= 0 && from[f] != 1) offset += coordinate * fromStrides[f];
            }
            index[i] = (int)offset;
        }
        return index;
    }

    // ---- Helpers ---------------------------------------------------------------------------

    private long[] Ints(NodeProto node, int i)
    {
        var v = Input(node, i);
        if (v.Ints is not { } ints) throw Refuse(node, $"input {i} ('{node.Input[i]}') is not an integer tensor");
        if (ints.Any(IsMarker)) throw Refuse(node, WhyOpen(node.Input[i], i));
        return ints;
    }

    private long Axis(NodeProto node, long axis, int rank)
    {
        long resolved = axis < 0 ? axis + rank : axis;
        return resolved >= 0 && resolved < Math.Max(rank, 1) ? resolved : throw Refuse(node, $"axis {axis} is out of range for rank {rank}");
    }

    private static long At(long[] dims, int i, int rank) => i - (rank - dims.Length) is var j && j >= 0 ? dims[j] : 1;

    private static long Product(ReadOnlySpan<long> dims)
    {
        long p = 1;
        foreach (long d in dims) p *= d;
        return p;
    }

    private static long[] Strides(long[] dims)
    {
        var strides = new long[dims.Length];
        long s = 1;
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            strides[d] = s;
            s *= dims[d];
        }
        return strides;
    }

    /// <summary>A folded value: FLOAT values, or integer (and BOOL) values widened to 64 bits.</summary>
    private sealed record Value(DataType Type, long[] Dims, float[]? Floats, long[]? Ints)
    {
        public long Count => Product(Dims);

        public static Value Scalar(long value) => new(DataType.Int64, [], null, [value]);

        public static Value Vector(long[] values) => new(DataType.Int64, [values.Length], null, values);

        public static Value Vector(DataType type, float[] values) => new(type, [values.Length], values, null);

        public Value Take(long[] dims, IReadOnlyList<int> take) => this with
        {
            Dims = dims,
            Floats = Floats is null ? null : [.. take.Select(i => Floats[i])],
            Ints = Ints is null ? null : [.. take.Select(i => Ints[i])],
        };

        public static Value From(TensorProto tensor, string where)
        {
            var type = (DataType)tensor.DataType;
            long[] dims = [.. tensor.Dims];
            if (OnnxTensor.ElementCount(tensor, where) > 1 << 24)
                throw new OnnxImportException($"{where}: more than 16 million values, too many to fold at import.");
            return type switch
            {
                DataType.Float or DataType.Double => new Value(DataType.Float, dims, ReadFloats(tensor, where), null),
                DataType.Int64 or DataType.Int32 => new Value(type, dims, null, OnnxTensor.ToInt64Array(tensor, where)),
                DataType.Bool => new Value(type, dims, null, [.. OnnxTensor.ToBoolArray(tensor, where).Select(b => b ? 1L : 0)]),
                _ => throw new OnnxImportException(
                    $"{where}: element type {OnnxTensor.DataTypeName((int)type)} cannot be folded; " +
                    "Convolve folds FLOAT, DOUBLE, INT64, INT32 and BOOL values."),
            };
        }

        // An empty tensor is a valid value here (a Shape of a scalar); Convolve tensors are not.
        private static float[] ReadFloats(TensorProto tensor, string where) =>
            OnnxTensor.ElementCount(tensor, where) == 0 ? [] : OnnxTensor.ToTensor(tensor, where).Span.ToArray();

        public TensorProto ToProto(string name)
        {
            var proto = new TensorProto { Name = name };
            proto.Dims.Add(Dims);
            if (Floats is { } f)
            {
                proto.DataType = (int)DataType.Float;
                var raw = new byte[f.Length * 4];
                for (int i = 0; i < f.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), f[i]);
                proto.RawData = ByteString.CopyFrom(raw);
            }
            else if (Type is DataType.Int64)
            {
                proto.DataType = (int)DataType.Int64;
                proto.Int64Data.Add(Ints!);
            }
            else
            {
                // BOOL, INT32 and the narrower integers (written as INT32) keep their values in int32_data.
                proto.DataType = (int)(Type is DataType.Bool ? DataType.Bool : DataType.Int32);
                proto.Int32Data.Add(Ints!.Select(e => (int)e));
            }
            return proto;
        }
    }
}
