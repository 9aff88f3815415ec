using Convolve.Data;
using Convolve.Tensors;

namespace Convolve.Transfer;

/// <summary>
/// Makes images fit a pre-trained backbone's input: channels converted, resized, scaled to the
/// pixel range the backbone was trained on.
/// </summary>
public static class BackboneInput
{
    /// <summary>
    /// <paramref name="images"/> [N, C, H, W] (values 0..1) as inputs for items of
    /// <paramref name="itemShape"/>: for [C', H', W'], gray is repeated into 3 channels or RGB turned
    /// into gray (luma, as <see cref="ImageResize"/> does), each plane resized to H' x W' as
    /// <see cref="ImageResize.Resize"/> does (by area when shrinking, bilinear when enlarging), every value multiplied by
    /// <paramref name="pixelScale"/> (255 for a backbone that
    /// expects 0..255). For a flat item [F] with F = C x H x W, the images are flattened as they are.
    /// </summary>
    /// <exception cref="ShapeException">The images cannot be made to fit; the message says both shapes.</exception>
    public static Tensor Fit(Tensor images, Shape itemShape, float pixelScale = 1)
    {
        if (images.Shape.Rank != 4) throw new ShapeException($"BackboneInput: expected images [N, C, H, W], got {images.Shape}.");
        int n = images.Shape[0], c = images.Shape[1], h = images.Shape[2], w = images.Shape[3];
        Tensor fitted;
        if (itemShape.Rank == 3)
        {
            int outC = itemShape[0], outH = itemShape[1], outW = itemShape[2];
            if (!(outC == c || (c == 1 && outC == 3) || (c == 3 && outC == 1)))
                throw new ShapeException($"The backbone takes {outC}-channel inputs {itemShape}; " +
                    $"images with {c} channel{(c == 1 ? "" : "s")} cannot be converted to that (only gray to RGB and RGB to gray).");
            fitted = new Tensor(new Shape(n, outC, outH, outW));
            var plane = new float[h * w];
            int inPlane = h * w, outPlane = outH * outW;
            for (int i = 0; i < n; i++)
            {
                var item = images.Span.Slice(i * c * inPlane, c * inPlane);
                for (int k = 0; k < outC; k++)
                {
                    if (c == 3 && outC == 1)
                    {
                        for (int p = 0; p < inPlane; p++)
                            plane[p] = 0.299f * item[p] + 0.587f * item[inPlane + p] + 0.114f * item[2 * inPlane + p];
                    }
                    else item.Slice((c == 1 ? 0 : k) * inPlane, inPlane).CopyTo(plane);
                    ImageResize.Resize(plane, h, w, fitted.Span.Slice((i * outC + k) * outPlane, outPlane), outH, outW);
                }
            }
        }
        else if (itemShape.Rank == 1 && itemShape[0] == c * h * w)
        {
            fitted = images.Clone().Reshape(new Shape(n, itemShape[0]));
        }
        else throw new ShapeException($"The backbone takes inputs {itemShape}; images of {c}x{h}x{w} (C x H x W) cannot be made to fit " +
            $"(expected a backbone input [C, H, W], or [{c * h * w}]).");
        if (pixelScale != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(fitted.Span, pixelScale, fitted.Span);
        return fitted;
    }

    /// <summary>
    /// How images are prepared for a model taking the backbone's inputs <paramref name="itemShape"/>
    /// (the combined preprocessing, backbone and head): what <see cref="Fit"/> does, with the
    /// statistics of <paramref name="fitted"/> (images made by <see cref="Fit"/> with the same
    /// <paramref name="pixelScale"/>); null when the backbone does not take images [C, H, W].
    /// </summary>
    public static Models.InputPreparation? Preparation(Shape itemShape, float pixelScale, Tensor fitted)
    {
        if (itemShape.Rank != 3 || itemShape[0] is not (1 or 3)) return null;
        return new Models.InputPreparation(itemShape[0], itemShape[1], itemShape[2])
        {
            Scale = pixelScale,
            Training = Models.InputStatistics.Of(fitted, pixelScale),
        };
    }

    /// <summary>
    /// The shape a batch item of <paramref name="shape"/> takes in an <see cref="ImageDataset"/>
    /// (which holds [N, C, H, W]): [C, H, W] stays, [F] becomes [F, 1, 1], [H, W] becomes [1, H, W].
    /// </summary>
    public static Shape AsImageShape(Shape shape) => shape.Rank switch
    {
        3 => shape,
        2 => new Shape(1, shape[0], shape[1]),
        1 => new Shape(shape[0], 1, 1),
        _ => throw new ShapeException($"Items of {shape} cannot be held as images [C, H, W]."),
    };
}
