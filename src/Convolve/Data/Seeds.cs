namespace Convolve.Data;

/// <summary>
/// Derives independent random streams from a user seed, one per (epoch, purpose): epoch 3 of a
/// resumed run shuffles exactly as epoch 3 of an uninterrupted one, and switching augmentation on
/// does not change the order of the items.
/// </summary>
internal static class Seeds
{
    public const int ShuffleStream = 1;
    public const int AugmentStream = 2;
    public const int SplitStream = 3;

    /// <summary>A seed for <see cref="Random"/> from (seed, epoch, purpose).</summary>
    public static int Derive(int seed, int epoch, int purpose) => (int)(Key(seed, epoch, purpose, 0) & int.MaxValue);

    /// <summary>
    /// A 64-bit key from (seed, epoch, purpose, index), through SplitMix64's finaliser, so that
    /// neighbouring inputs give unrelated keys.
    /// </summary>
    public static ulong Key(int seed, int epoch, int purpose, int index)
    {
        ulong run = Mix((ulong)(uint)seed << 32 | (uint)epoch);
        return Mix(run ^ (((ulong)(uint)purpose << 32 | (uint)index) + 0x9E3779B97F4A7C15UL));
    }

    /// <summary>The next value of a SplitMix64 stream whose state is <paramref name="state"/>, in [0, n).</summary>
    public static int NextBelow(ref ulong state, int n)
    {
        state += 0x9E3779B97F4A7C15UL;
        // The top 32 bits times n, shifted: uniform up to a bias of n / 2^32.
        return (int)((Mix(state) >> 32) * (ulong)n >> 32);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
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
