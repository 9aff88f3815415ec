using Convolve.Layers;

namespace Convolve.Kernels.Reference;

/// <summary>
/// The shape of one resize: <see cref="Planes"/> = N * C planes of <see cref="InH"/> x <see cref="InW"/>
/// become <see cref="OutH"/> x <see cref="OutW"/>. <see cref="ScaleH"/> and <see cref="ScaleW"/> are the
/// factors the coordinate mapping divides by: the given scales, or out / in when sizes were given.
/// <see cref="LengthH"/> and <see cref="LengthW"/> are the resized lengths align_corners and
/// pytorch_half_pixel use: in * scale unrounded when scales were given (ONNX's definition, e.g.
/// 2.4 for 4 * 0.6), else the output size.
/// </summary>
internal readonly record struct ResizeGeometry(int Planes, int InH, int InW, int OutH, int OutW, float ScaleH, float ScaleW,
    ResizeInterpolation Mode, ResizeCoordinates Coordinates, ResizeRounding Rounding, float LengthH, float LengthW)
{
    /// <summary>A geometry whose resized lengths are the output sizes (sizes given, or scales whose products are whole).</summary>
    public ResizeGeometry(int planes, int inH, int inW, int outH, int outW, float scaleH, float scaleW,
        ResizeInterpolation mode, ResizeCoordinates coordinates, ResizeRounding rounding)
        : this(planes, inH, inW, outH, outW, scaleH, scaleW, mode, coordinates, rounding, outH, outW) { }

    /// <summary>Values in the input: Planes * InH * InW.</summary>
    public int InputLength => Planes * InH * InW;

    /// <summary>Values in the output: Planes * OutH * OutW.</summary>
    public int OutputLength => Planes * OutH * OutW;
}

/// <summary>
/// Resizing by ONNX's definition, one output pixel at a time: map the output coordinate to the
/// input (<see cref="SourceCoordinate"/>), then pick the nearest input pixel or blend the two
/// neighbours along each axis. Coordinates are computed in float32, as ONNX Runtime does, so that
/// ties in the nearest rounding fall the same way.
/// </summary>
internal static class ResizeReference
{
    /// <summary>
    /// The input coordinate of output coordinate <paramref name="x"/> along an axis of
    /// <paramref name="inLength"/> input pixels resized to length <paramref name="resized"/>
    /// (in * scale, unrounded, when scales were given): half_pixel (x + 0.5) / scale - 0.5;
    /// pytorch_half_pixel the same, but 0 for a resized length of at most 1; align_corners
    /// x * (in - 1) / (resized - 1), 0 for a resized length of 1; asymmetric x / scale;
    /// tf_half_pixel_for_nn (x + 0.5) / scale.
    /// </summary>
    public static float SourceCoordinate(ResizeCoordinates mode, int x, int inLength, float resized, float scale) => mode switch
    {
        ResizeCoordinates.HalfPixel => ((x + 0.5f) / scale) - 0.5f,
        ResizeCoordinates.PytorchHalfPixel => resized > 1 ? ((x + 0.5f) / scale) - 0.5f : 0f,
        ResizeCoordinates.AlignCorners => resized == 1 ? 0f : x * (float)(inLength - 1) / (resized - 1),
        ResizeCoordinates.Asymmetric => x / scale,
        _ => (x + 0.5f) / scale,
    };

    /// <summary>The nearest input index of input coordinate <paramref name="x"/> by <paramref name="rounding"/>, clamped into [0, inLength - 1].</summary>
    public static int NearestIndex(ResizeRounding rounding, float x, int inLength)
    {
        double index = rounding switch
        {
            // Halves go down (round_prefer_floor) or up (round_prefer_ceil); other values to the nearest integer.
            ResizeRounding.RoundPreferFloor => x - Math.Floor(x) == 0.5 ? Math.Floor(x) : Math.Round(x, MidpointRounding.AwayFromZero),
            ResizeRounding.RoundPreferCeil => x - Math.Floor(x) == 0.5 ? Math.Ceiling(x) : Math.Round(x, MidpointRounding.AwayFromZero),
            ResizeRounding.Floor => Math.Floor(x),
            _ => Math.Ceiling(x),
        };
        return (int)Math.Clamp(index, 0, inLength - 1);
    }

    /// <summary>
    /// The two input indices and the weight of the second that linear interpolation blends at
    /// input coordinate <paramref name="x"/>: x is clamped into [0, inLength - 1], lo = floor(x),
    /// hi = lo + 1 (or lo at the last pixel), value = (1 - weight) * input[lo] + weight * input[hi].
    /// </summary>
    public static (int Lo, int Hi, float Weight) LinearTaps(float x, int inLength)
    {
        x = Math.Clamp(x, 0f, inLength - 1);
        int lo = Math.Min((int)x, inLength - 1);
        int hi = Math.Min(lo + 1, inLength - 1);
        return (lo, hi, x - lo);
    }

    /// <summary>output[p, y, x] = the input value (nearest) or blend (linear) at the input coordinates of (y, x), plane by plane.</summary>
    public static void Forward(in ResizeGeometry g, ReadOnlySpan<float> input, Span<float> output)
    {
        for (int p = 0; p < g.Planes; p++)
        {
            var plane = input.Slice(p * g.InH * g.InW, g.InH * g.InW);
            for (int y = 0; y < g.OutH; y++)
            {
                float sy = SourceCoordinate(g.Coordinates, y, g.InH, g.LengthH, g.ScaleH);
                for (int x = 0; x < g.OutW; x++)
                {
                    float sx = SourceCoordinate(g.Coordinates, x, g.InW, g.LengthW, g.ScaleW);
                    float value = 0;
                    foreach (var (index, weight) in Taps(g, sy, sx)) value += weight * plane[index];
                    output[(p * g.OutH + y) * g.OutW + x] = value;
                }
            }
        }
    }

    /// <summary>
    /// dInput[p, i] = the sum over output pixels (y, x) of dOutput[p, y, x] times the weight with
    /// which (y, x) read input pixel i: the forward pass's reads, scattered back. Overwrites dInput.
    /// </summary>
    public static void Backward(in ResizeGeometry g, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        dInput[..g.InputLength].Clear();
        for (int p = 0; p < g.Planes; p++)
        {
            var plane = dInput.Slice(p * g.InH * g.InW, g.InH * g.InW);
            for (int y = 0; y < g.OutH; y++)
            {
                float sy = SourceCoordinate(g.Coordinates, y, g.InH, g.LengthH, g.ScaleH);
                for (int x = 0; x < g.OutW; x++)
                {
                    float sx = SourceCoordinate(g.Coordinates, x, g.InW, g.LengthW, g.ScaleW);
                    float d = dOutput[(p * g.OutH + y) * g.OutW + x];
                    foreach (var (index, weight) in Taps(g, sy, sx)) plane[index] += weight * d;
                }
            }
        }
    }

    // The input pixels (index within the plane) that output coordinates (sy, sx) read, with their weights.
    private static List<(int Index, float Weight)> Taps(in ResizeGeometry g, float sy, float sx)
    {
        if (g.Mode == ResizeInterpolation.Nearest)
            return [(NearestIndex(g.Rounding, sy, g.InH) * g.InW + NearestIndex(g.Rounding, sx, g.InW), 1f)];
        var (y0, y1, wy) = LinearTaps(sy, g.InH);
        var (x0, x1, wx) = LinearTaps(sx, g.InW);
        return
        [
            (y0 * g.InW + x0, (1 - wy) * (1 - wx)), (y0 * g.InW + x1, (1 - wy) * wx),
            (y1 * g.InW + x0, wy * (1 - wx)), (y1 * g.InW + x1, wy * wx),
        ];
    }
}
