using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Sketches;

/// <summary>
/// What a RAD sketch stores besides its kept values: the seed its sample was drawn from, and a fingerprint of
/// the sample. The backward pass regenerates the sample from the stored seed and checks the fingerprint, so a
/// regeneration that differs from the forward pass's draw (a wrong seed, stream or counter) fails loudly
/// instead of silently corrupting the gradient (RAD-METHOD.md §3).
/// </summary>
internal static class SampleSeal
{
    /// <summary>Keeps (seed, fingerprint) for the current layer: 16 bytes on the retained stack.</summary>
    public static RetainedBlock<ulong> Keep(StepContext context, ulong seed, ulong fingerprint)
    {
        RetainedBlock<ulong> block = context.Keep<ulong>(2);
        Span<ulong> kept = context.Kept(block);
        kept[0] = seed;
        kept[1] = fingerprint;
        return block;
    }

    /// <summary>The seed stored by <see cref="Keep"/>.</summary>
    public static ulong Seed(StepContext context, RetainedBlock<ulong> block) => context.Kept(block)[0];

    /// <summary>Throws when the regenerated sample's fingerprint is not the stored one.</summary>
    public static void Verify(StepContext context, RetainedBlock<ulong> block, ulong fingerprint, string sketch)
    {
        if (context.Kept(block)[1] != fingerprint)
        {
            throw new InvalidOperationException(
                $"RAD sketch '{sketch}' of layer {context.LayerIndex} regenerated a different random sample in the backward pass than the forward pass drew; the gradient would be wrong.");
        }
    }

    /// <summary>A 64-bit fingerprint of sampled indices (order-sensitive).</summary>
    public static ulong Fingerprint(ReadOnlySpan<int> values)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (int v in values)
        {
            hash = (hash ^ (uint)v) * 0x100000001B3UL;
            hash ^= hash >> 29;
        }

        return hash;
    }

    /// <summary>A 64-bit fingerprint of a random matrix's bits (sampled, not every entry: a projection has many).</summary>
    public static ulong Fingerprint(ReadOnlySpan<float> values)
    {
        ulong hash = 0x84222325CBF29CE4UL;
        int step = Math.Max(1, values.Length / 4096);
        for (int i = 0; i < values.Length; i += step)
        {
            hash = (hash ^ BitConverter.SingleToUInt32Bits(values[i])) * 0x100000001B3UL;
            hash ^= hash >> 29;
        }

        return hash;
    }

    /// <summary>
    /// The random stream of a draw: layer (16 bits), chunk of rows (16 bits), slot or time step (24 bits) and
    /// purpose (8 bits), so no two draws of one step share a stream. Estimators that draw one sample per
    /// minibatch pass chunk 0 for every chunk. The counter always starts at 0.
    /// </summary>
    public static ulong Stream(int layer, int chunk, int slot, int purpose) =>
        ((ulong)(ushort)layer << 48) | ((ulong)(ushort)chunk << 32) | ((ulong)(slot & 0xFFFFFF) << 8) | (byte)purpose;
}
