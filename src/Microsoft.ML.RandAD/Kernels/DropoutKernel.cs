namespace Microsoft.ML.RandAD.Kernels;

/// <summary>Inverted-dropout mask applied on the fly from the counter-based generator (no stored mask).</summary>
internal static class DropoutKernel
{
    private const int Chunk = 1024;

    /// <summary>
    /// <c>destination[i] = source[i] / (1 − rate)</c> if word i of (seed, stream) is at least rate·2³², else 0.
    /// Element i always uses the same word, so forward and backward see the same mask.
    /// </summary>
    public static void Apply(ulong seed, ulong stream, float rate, ReadOnlySpan<float> source, Span<float> destination)
    {
        uint threshold = (uint)Math.Min(rate * 4294967296.0, uint.MaxValue);
        float scale = 1f / (1f - rate);
        Span<uint> words = stackalloc uint[Chunk];
        for (int start = 0; start < source.Length; start += Chunk)
        {
            int count = Math.Min(Chunk, source.Length - start);
            CounterRng.FillUInt32(seed, stream, (ulong)(start / 4), words.Slice(0, count));
            for (int i = 0; i < count; i++)
            {
                destination[start + i] = words[i] >= threshold ? source[start + i] * scale : 0f;
            }
        }
    }
}
