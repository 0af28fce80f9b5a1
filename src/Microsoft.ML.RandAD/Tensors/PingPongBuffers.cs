using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tensors;

/// <summary>
/// The two working buffers a pass alternates between (each layer reads one and writes the other), pinned, the second
/// starting half a page (2 KB, modulo 4 KB) away from the first.
/// </summary>
/// <remarks>
/// <para>A layer that reads element i of one buffer and writes element i of the other (a copy, an activation, an
/// unpooling) would otherwise read and write addresses equal in their low twelve bits whenever the buffer length is a whole
/// number of 4 KB pages (the CNN's are: 64 rows × 12,544 floats) and the allocator places the two back to back: each load
/// then waits for the stores ahead of it with the same low bits ("4K aliasing"). The CNN's Flatten backward, a 100 KB copy
/// between them, took 0.32–0.42 ms a step that way and 0.03–0.04 ms half a page apart.</para>
/// <para>Two arrays, not one: the second has a page of slack to choose its start in. A scorer's buffers are sized for the
/// widest layer, which fused pooling never writes, so most of their pages are never touched; held in one 100 MB array
/// (1,000 CNN rows) they raised the process peak by 17 MB, as two arrays they do not.</para>
/// </remarks>
internal sealed class PingPongBuffers
{
    private const int PageBytes = 4096;
    private readonly float[] _first;
    private readonly float[] _second;
    private readonly int _secondOffset;

    /// <summary>Two buffers of <paramref name="length"/> floats each.</summary>
    public unsafe PingPongBuffers(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _first = PinnedMemory.Allocate<float>(length);
        _second = PinnedMemory.Allocate<float>(length == 0 ? 0 : length + (PageBytes / sizeof(float)));
        if (length > 0)
        {
            // Both arrays are pinned, so the distance between them is fixed: start the second where it is half a page on.
            long distance = (long)PinnedMemory.Pointer(_second) - (long)PinnedMemory.Pointer(_first);
            _secondOffset = (int)((((PageBytes / 2) - distance) % PageBytes + PageBytes) % PageBytes / sizeof(float));
        }
    }

    /// <summary>No buffers (capacity 0).</summary>
    public static PingPongBuffers Empty { get; } = new(0);

    /// <summary>Floats in each buffer.</summary>
    public int Length { get; }

    /// <summary>Floats of storage both take, the second's slack included.</summary>
    public int StorageLength => _first.Length + _second.Length;

    /// <summary>The first buffer.</summary>
    public Span<float> First => _first;

    /// <summary>The second buffer.</summary>
    public Span<float> Second => _second.AsSpan(_secondOffset, Length);

    /// <summary>The buffer that does not hold <paramref name="current"/>: the second when <paramref name="current"/> lies in the first, else the first.</summary>
    public Span<float> Other(ReadOnlySpan<float> current) => current.Overlaps(First) ? Second : First;
}
