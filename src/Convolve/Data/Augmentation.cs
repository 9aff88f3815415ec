namespace Convolve.Data;

/// <summary>
/// Random changes applied to each training image as it is copied into a batch, decided by a
/// per-item key that the loader derives from its seed. The default changes nothing.
/// </summary>
public sealed record Augmentation
{
    /// <summary>
    /// Shift each image by a random whole number of pixels in [-MaxShift, MaxShift], independently
    /// along H and W, filling the uncovered border with zeros. This is also what a "random crop with
    /// zero padding p" does (pad by p on every side, cut an H x W window at a random place): choose
    /// <c>MaxShift = p</c>; the two are the same distribution of images, so there is one option.
    /// </summary>
    public int MaxShift { get; init; }

    /// <summary>Mirror each image left-right with probability 1/2 (not for digits: a mirrored 2 is no digit).</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>True when nothing would change.</summary>
    public bool IsIdentity => MaxShift == 0 && !HorizontalFlip;

    /// <summary>Prints the active options, e.g. <c>shift ±2, flip</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (MaxShift > 0) parts.Add($"shift ±{MaxShift}");
        if (HorizontalFlip) parts.Add("flip");
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    /// <summary>
    /// Writes an augmented copy of one image [C, H, W] from <paramref name="source"/> to
    /// <paramref name="target"/>: the image is mirrored (when the flip is drawn) and then shifted,
    /// <c>target[c, y, x] = m[c, y - dy, x - dx]</c> with <c>m[c, y, x] = source[c, y, W - 1 - x]</c>
    /// when flipped and <c>source[c, y, x]</c> otherwise, and zero where <c>(y - dy, x - dx)</c>
    /// falls outside the image.
    /// </summary>
    /// <param name="key">
    /// Decides dy, dx and the flip, and nothing else does: the same key gives the same change. The
    /// loader derives one key per (seed, epoch, position in the epoch), so any batch can be
    /// rebuilt exactly without replaying a random generator, and nothing is allocated.
    /// </param>
    /// <param name="source">One image, [channels, height, width] row-major.</param>
    /// <param name="target">Where the changed image goes: the same length as <paramref name="source"/>, not overlapping it.</param>
    /// <param name="channels">Channels of the image.</param>
    /// <param name="height">Rows of the image, in pixels.</param>
    /// <param name="width">Columns of the image, in pixels.</param>
    public void Apply(ReadOnlySpan<float> source, Span<float> target, int channels, int height, int width, ulong key)
    {
        if (MaxShift < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxShift), $"Augmentation: MaxShift is {MaxShift}; it must be 0 or more.");
        int size = channels * height * width;
        if (source.Length != size || target.Length != size)
            throw new ArgumentException($"Augmentation.Apply: an image of {channels}x{height}x{width} needs {size} values, " +
                $"got source {source.Length} and target {target.Length}.");
        ulong state = key;
        int dy = 0, dx = 0;
        if (MaxShift > 0)
        {
            dy = Seeds.NextBelow(ref state, 2 * MaxShift + 1) - MaxShift;
            dx = Seeds.NextBelow(ref state, 2 * MaxShift + 1) - MaxShift;
        }
        bool flip = HorizontalFlip && Seeds.NextBelow(ref state, 2) == 1;
        if (dy == 0 && dx == 0 && !flip)
        {
            source.CopyTo(target);
            return;
        }

        // The columns x whose source column x - dx lies inside the image: [xStart, xEnd).
        int xStart = Math.Max(0, dx), xEnd = Math.Min(width, width + dx);
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                var row = target.Slice((c * height + y) * width, width);
                int sy = y - dy;
                if (sy < 0 || sy >= height || xStart >= xEnd)
                {
                    row.Clear();
                    continue;
                }
                var sourceRow = source.Slice((c * height + sy) * width, width);
                row[..xStart].Clear();
                row[xEnd..].Clear();
                if (!flip)
                {
                    sourceRow.Slice(xStart - dx, xEnd - xStart).CopyTo(row[xStart..xEnd]);
                }
                else
                {
                    // Shift the flipped row: target x reads flipped column x - dx, i.e. source W - 1 - (x - dx).
                    for (int x = xStart; x < xEnd; x++) row[x] = sourceRow[width - 1 - (x - dx)];
                }
            }
        }
    }
}
