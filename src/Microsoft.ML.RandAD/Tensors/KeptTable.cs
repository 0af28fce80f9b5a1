namespace Microsoft.ML.RandAD.Tensors;

/// <summary>
/// A layer's handles to what it kept on the retained stack, one per (chunk, slot): the forward pass runs a
/// batch a chunk of rows at a time, and a recurrent layer keeps one sample per time step (slot). Grows on
/// first use, then steady-state steps allocate nothing.
/// </summary>
/// <typeparam name="T">Element type of the kept blocks.</typeparam>
internal sealed class KeptTable<T>
    where T : unmanaged
{
    private RetainedBlock<T>[][] _chunks = [];

    /// <summary>The block of <paramref name="chunk"/>, slot <paramref name="slot"/>.</summary>
    public RetainedBlock<T> this[int chunk, int slot = 0]
    {
        get => _chunks[chunk][slot];
        set
        {
            if (chunk >= _chunks.Length)
            {
                Array.Resize(ref _chunks, Math.Max(chunk + 1, 2 * _chunks.Length));
            }

            RetainedBlock<T>[]? slots = _chunks[chunk];
            if (slots is null || slot >= slots.Length)
            {
                Array.Resize(ref slots, Math.Max(slot + 1, 2 * (slots?.Length ?? 0)));
                _chunks[chunk] = slots;
            }

            slots[slot] = value;
        }
    }

    /// <summary>Every block set so far (for tests that tamper with kept state).</summary>
    internal IEnumerable<RetainedBlock<T>> All => _chunks.Where(s => s is not null).SelectMany(s => s).Where(b => b.Count > 0);
}
