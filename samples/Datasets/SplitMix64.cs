namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// The SplitMix64 generator exactly as DATA.md writes it. Chosen for the split because it is a few lines in
/// any language, so the split can be reproduced outside .NET (the reference measurements used Python).
/// </summary>
public struct SplitMix64
{
    private ulong state;

    public SplitMix64(ulong seed) => state = seed;

    public ulong Next()
    {
        state += 0x9E3779B97F4A7C15UL;
        ulong z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
