using Convolve.Onnx.Protos;

namespace Convolve.Onnx;

/// <summary>
/// Puts the nodes of an ONNX graph in an order the importer can follow: each node after the
/// nodes computing its inputs. ONNX requires files to list nodes so, but not every writer does,
/// and the importer must not depend on it. Nodes the output does not depend on are dropped, as a
/// runtime would never run them.
/// </summary>
internal static class OnnxGraphOrder
{
    /// <summary>
    /// The nodes <paramref name="output"/> depends on, each after the producers of its inputs,
    /// and in file order wherever file order allows (so a file already in order keeps it).
    /// Throws <see cref="OnnxFormatException"/> naming the node for an input that nothing
    /// computes, a value computed twice, or a cycle.
    /// </summary>
    /// <param name="nodes">The graph's nodes without its Constant nodes.</param>
    /// <param name="input">The graph input's name.</param>
    /// <param name="constants">Initializers and Constant nodes' outputs by name.</param>
    /// <param name="output">The graph output's name.</param>
    /// <param name="source">The model's file, for messages.</param>
    public static List<NodeProto> Sort(IReadOnlyList<NodeProto> nodes, string input, IReadOnlyDictionary<string, TensorProto> constants,
        string output, string source)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
        {
            foreach (string value in nodes[i].Output)
            {
                if (value.Length == 0) continue;
                if (value == input || constants.ContainsKey(value))
                    throw new OnnxFormatException($"{source}: {nodes[i].Describe()}: output '{value}' is also the name of the graph's " +
                        $"{(value == input ? "input" : "constant")}; a value is defined once.");
                if (!producer.TryAdd(value, i))
                    throw new OnnxFormatException($"{source}: {nodes[i].Describe()}: output '{value}' is also the output of " +
                        $"{nodes[producer[value]].Describe()}; a value is defined once.");
            }
        }
        for (int i = 0; i < nodes.Count; i++)
        {
            var inputs = nodes[i].Input;
            for (int j = 0; j < inputs.Count; j++)
            {
                string value = inputs[j];
                if (value.Length > 0 && value != input && !constants.ContainsKey(value) && !producer.ContainsKey(value))
                    throw new OnnxFormatException($"{source}: {nodes[i].Describe()}: input {j} ('{value}') " +
                        "is neither the graph input, a constant, nor any node's output.");
            }
        }

        // The nodes the output depends on, found walking back from it.
        var live = new bool[nodes.Count];
        var pending = new Stack<int>();
        if (producer.TryGetValue(output, out int last)) pending.Push(last);
        while (pending.Count > 0)
        {
            int i = pending.Pop();
            if (live[i]) continue;
            live[i] = true;
            foreach (string value in nodes[i].Input)
                if (producer.TryGetValue(value, out int p) && !live[p]) pending.Push(p);
        }

        // Kahn's algorithm, taking the ready node that comes first in the file.
        var waiting = new int[nodes.Count];
        var readers = Enumerable.Range(0, nodes.Count).Select(_ => new List<int>()).ToArray();
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < nodes.Count; i++)
        {
            if (!live[i]) continue;
            foreach (string value in nodes[i].Input.Distinct())
            {
                if (!producer.TryGetValue(value, out int p)) continue;
                waiting[i]++;
                readers[p].Add(i);
            }
            if (waiting[i] == 0) ready.Enqueue(i, i);
        }
        var sorted = new List<NodeProto>();
        var done = new bool[nodes.Count];
        while (ready.TryDequeue(out int i, out _))
        {
            sorted.Add(nodes[i]);
            done[i] = true;
            foreach (int reader in readers[i])
                if (--waiting[reader] == 0) ready.Enqueue(reader, reader);
        }
        if (sorted.Count < live.Count(l => l)) throw Cycle(nodes, producer, live, done, source);
        return sorted;
    }

    // A node left over by Kahn's algorithm waits, through some chain of producers, on a cycle:
    // follow unfinished producers until a node repeats, and name the nodes of that loop.
    private static OnnxFormatException Cycle(IReadOnlyList<NodeProto> nodes, Dictionary<string, int> producer, bool[] live, bool[] done, string source)
    {
        int at = Enumerable.Range(0, nodes.Count).First(i => live[i] && !done[i]);
        var path = new List<int>();
        while (!path.Contains(at))
        {
            path.Add(at);
            at = nodes[at].Input.Select(v => producer.TryGetValue(v, out int p) ? p : -1).First(p => p >= 0 && !done[p]);
        }
        var loop = path.Skip(path.IndexOf(at)).Select(i => nodes[i].Describe()).ToList();
        return new OnnxFormatException($"{source}: the graph has a cycle: {loop[0]} reads the output of " +
            $"{string.Concat(loop.Skip(1).Select(n => $"{n}, which reads the output of "))}{loop[0]}; an ONNX graph is acyclic.");
    }
}
