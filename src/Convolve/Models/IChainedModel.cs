namespace Convolve.Models;

/// <summary>
/// A model made of other models run one after another, each taking the previous one's output as
/// the items it takes (for example a pre-trained body and a new head). Lets code that walks a model
/// layer by layer, such as the training diagnostics, walk into the parts.
/// </summary>
public interface IChainedModel
{
    /// <summary>
    /// The parts in forward order. A part with <c>EvaluationOnly</c> set runs in evaluation mode
    /// also while the whole model trains.
    /// </summary>
    IReadOnlyList<(Model Part, bool EvaluationOnly)> Parts { get; }
}
