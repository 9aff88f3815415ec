namespace Convolve.Layers;

/// <summary>
/// The options of a layer: enough to recreate it, without its parameter values. Model files
/// store a model's architecture as its layers' configs, tagged by <c>"type"</c>; each config
/// type and its tag are registered in <see cref="LayerTypes"/>.
/// </summary>
public abstract record LayerConfig
{
    /// <summary>A new layer with these options and fresh (unbuilt, uninitialised) parameters.</summary>
    public abstract Layer CreateLayer();
}
