namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The SplitMix64 generator (Steele, Lea, Flood 2014), as DATA.md writes it: add the golden-ratio increment, then mix.
/// The engine uses it where a few sequential 64-bit values are needed (a step's seed, an epoch's shuffle); bulk random
/// numbers come from the counter-based <see cref="CounterRng"/>.
/// </summary>
/// <param name="seed">The initial state.</param>
internal struct SplitMix64(ulong seed)
{
    private const ulong Increment = 0x9E3779B97F4A7C15UL;

    private ulong _state = seed;

    /// <summary>Advances the state and returns the next value.</summary>
    public ulong Next()
    {
        _state += Increment;
        return Mix(_state);
    }

    /// <summary>The output function: a bijective mix of 64 bits.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
