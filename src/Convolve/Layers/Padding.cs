namespace Convolve.Layers;

/// <summary>
/// Zero padding around an image: explicit amounts per side, or <see cref="Same"/>, which pads
/// so that <c>out = ceil(in / stride)</c>, putting the odd pixel at the bottom and right
/// (ONNX's SAME_UPPER; PyTorch's and Keras' "same" at stride 1).
/// </summary>
public readonly record struct Padding(int Top, int Left, int Bottom, int Right, bool IsSame = false)
{
    /// <summary>No padding ("valid").</summary>
    public static Padding Valid => default;

    /// <summary>Pads so that the output has <c>ceil(in / stride)</c> rows and columns.</summary>
    public static Padding Same => new(0, 0, 0, 0, IsSame: true);

    /// <summary><paramref name="amount"/> pixels on every side.</summary>
    public static Padding Symmetric(int amount) => new(amount, amount, amount, amount);

    /// <summary>Same as <see cref="Symmetric(int)"/>.</summary>
    public static implicit operator Padding(int amount) => Symmetric(amount);

    /// <summary>Whether all four sides are equal (and not "same").</summary>
    public bool IsSymmetric => !IsSame && Top == Left && Top == Bottom && Top == Right;

    /// <summary>The padding per side for an input of <paramref name="inH"/> x <paramref name="inW"/>.</summary>
    public (int Top, int Left, int Bottom, int Right) Resolve(int inH, int inW, int kernelH, int kernelW,
        int strideH, int strideW, int dilationH, int dilationW)
    {
        if (!IsSame) return (Top, Left, Bottom, Right);
        int totalH = SameTotal(inH, kernelH, strideH, dilationH), totalW = SameTotal(inW, kernelW, strideW, dilationW);
        return (totalH / 2, totalW / 2, totalH - totalH / 2, totalW - totalW / 2);
    }

    private static int SameTotal(int n, int k, int s, int d)
    {
        int outSize = (n + s - 1) / s;
        return Math.Max(0, (outSize - 1) * s + d * (k - 1) + 1 - n);
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsSame ? "same" : IsSymmetric ? Top.ToString() : $"({Top}, {Left}, {Bottom}, {Right})";
}
