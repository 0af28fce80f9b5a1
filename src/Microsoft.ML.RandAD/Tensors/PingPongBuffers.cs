using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tensors;

/// <summary>
/// The two working buffers a pass alternates between (each layer reads one and writes the other), in one pinned array with
/// the second starting half a page (2 KB, modulo 4 KB) after the first.
/// </summary>
/// <remarks>
/// A layer that reads element i of one buffer and writes element i of the other (a copy, an activation, an unpooling) would
/// otherwise read and write addresses 4 KB apart in their low twelve bits whenever the buffer length is a multiple of 4 KB
/// (the CNN's are: 16 rows × 12,544 floats) and the allocator places them back to back: each load then waits for the
/// stores ahead of it with the same low bits ("4K aliasing"). The CNN's Flatten backward, a 100 KB copy between them,
/// took 0.36–0.42 ms a step that way and 0.03 ms half a page apart.
/// </remarks>
internal sealed class PingPongBuffers
{
    private const int PageFloats = 1024;
    private readonly float[] _storage;
    private readonly int _secondOffset;

    /// <summary>Two buffers of <paramref name="length"/> floats each.</summary>
    public PingPongBuffers(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;

        // The first offset at or past the first buffer's end that is half a page past a page boundary relative to it.
        _secondOffset = length == 0 ? 0 : (((Math.Max(length, PageFloats / 2) - (PageFloats / 2) + PageFloats - 1) / PageFloats) * PageFloats) + (PageFloats / 2);
        _storage = PinnedMemory.Allocate<float>(_secondOffset + length);
    }

    /// <summary>No buffers (capacity 0).</summary>
    public static PingPongBuffers Empty { get; } = new(0);

    /// <summary>Floats in each buffer.</summary>
    public int Length { get; }

    /// <summary>Floats of storage both take, the gap between them included.</summary>
    public int StorageLength => _storage.Length;

    /// <summary>The first buffer.</summary>
    public Span<float> First => _storage.AsSpan(0, Length);

    /// <summary>The second buffer.</summary>
    public Span<float> Second => _storage.AsSpan(_secondOffset, Length);

    /// <summary>The buffer that does not hold <paramref name="current"/>: the second when <paramref name="current"/> lies in the first, else the first.</summary>
    public Span<float> Other(ReadOnlySpan<float> current) => current.Overlaps(First) ? Second : First;
}
