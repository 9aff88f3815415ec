namespace Convolve.Data;

/// <summary>
/// Derives independent seeds from a user seed, so that each epoch and each purpose (shuffling,
/// augmentation, splitting) gets its own reproducible stream: epoch 3 of a resumed run shuffles
/// exactly as epoch 3 of an uninterrupted one, and switching augmentation on does not change the
/// order of the items.
/// </summary>
internal static class Seeds
{
    public const int ShuffleStream = 1;
    public const int AugmentStream = 2;
    public const int SplitStream = 3;

    /// <summary>A seed for <see cref="Random"/> from (seed, epoch, purpose), mixed with SplitMix64's finaliser.</summary>
    public static int Derive(int seed, int epoch, int purpose)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)epoch) + 0x9E3779B97F4A7C15UL * (ulong)(purpose + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }

    /// <summary>Fisher-Yates shuffle of <paramref name="values"/> in place.</summary>
    public static void Shuffle<T>(Span<T> values, Random random)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
