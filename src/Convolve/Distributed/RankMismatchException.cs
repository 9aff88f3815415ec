namespace Convolve.Distributed;

/// <summary>
/// The ranks of a data-parallel run do not agree on something that must be the same everywhere
/// (the options, the model, the training data, a checkpoint). Every rank finds it and throws it
/// together, so all can stop normally.
/// </summary>
public sealed class RankMismatchException : Exception
{
    /// <summary>A mismatch described by <paramref name="message"/>.</summary>
    /// <param name="message">What differs, and on which ranks.</param>
    public RankMismatchException(string message) : base(message) { }
}
