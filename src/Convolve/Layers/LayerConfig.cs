using System.Text.Json.Serialization;

namespace Convolve.Layers;

/// <summary>
/// The options of a layer: enough to recreate it, without its parameter values. Model files
/// store a model's architecture as its layers' configs, tagged by <c>"type"</c>.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(Conv2DConfig), "Conv2D")]
[JsonDerivedType(typeof(MaxPool2DConfig), "MaxPool2D")]
[JsonDerivedType(typeof(AvgPool2DConfig), "AvgPool2D")]
[JsonDerivedType(typeof(GlobalAvgPool2DConfig), "GlobalAvgPool2D")]
[JsonDerivedType(typeof(ReLUConfig), "ReLU")]
[JsonDerivedType(typeof(LeakyReLUConfig), "LeakyReLU")]
[JsonDerivedType(typeof(SigmoidConfig), "Sigmoid")]
[JsonDerivedType(typeof(TanhConfig), "Tanh")]
[JsonDerivedType(typeof(ClipConfig), "Clip")]
[JsonDerivedType(typeof(HardSigmoidConfig), "HardSigmoid")]
[JsonDerivedType(typeof(HardSwishConfig), "HardSwish")]
[JsonDerivedType(typeof(SoftmaxConfig), "Softmax")]
[JsonDerivedType(typeof(FlattenConfig), "Flatten")]
[JsonDerivedType(typeof(DenseConfig), "Dense")]
[JsonDerivedType(typeof(DropoutConfig), "Dropout")]
[JsonDerivedType(typeof(BatchNorm2DConfig), "BatchNorm2D")]
[JsonDerivedType(typeof(AddConfig), "Add")]
[JsonDerivedType(typeof(ConcatConfig), "Concat")]
[JsonDerivedType(typeof(SubtractConfig), "Subtract")]
[JsonDerivedType(typeof(MultiplyConfig), "Multiply")]
[JsonDerivedType(typeof(DivideConfig), "Divide")]
[JsonDerivedType(typeof(ElementwiseConstantConfig), "ElementwiseConstant")]
[JsonDerivedType(typeof(ReshapeConfig), "Reshape")]
[JsonDerivedType(typeof(TransposeConfig), "Transpose")]
[JsonDerivedType(typeof(SliceConfig), "Slice")]
[JsonDerivedType(typeof(PadConfig), "Pad")]
[JsonDerivedType(typeof(ReduceConfig), "Reduce")]
public abstract record LayerConfig
{
    /// <summary>A new layer with these options and fresh (unbuilt, uninitialised) parameters.</summary>
    public abstract Layer CreateLayer();
}
