using System.Runtime.InteropServices;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tensors;

/// <summary>Where a layer's retained data lives on the <see cref="RetainedStack"/>: a byte offset and an element count.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal readonly record struct RetainedBlock<T>(int Chunk, long ByteOffset, int Count)
    where T : unmanaged
{
    /// <summary>Bytes the block occupies.</summary>
    public long Bytes => (long)Count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
}

/// <summary>
/// The memory a training step keeps between its forward and its backward pass, as one stack:
/// layers push what they keep during the forward pass in order, and the backward pass, which visits
/// layers in reverse, pops it again. Nothing else survives from forward to backward, so the stack's
/// depth <em>is</em> the retained activation memory, and the ledger reads it off exactly.
/// </summary>
/// <remarks>
/// Storage is pinned byte chunks, 64-byte aligned per block. A step that outgrows the current chunk
/// opens another (existing blocks never move); at the next <see cref="Reset"/> the chunks are merged
/// into one of the high-water size, so steady-state training allocates nothing.
/// </remarks>
internal sealed class RetainedStack
{
    private const int Alignment = 64;
    private readonly List<byte[]> _chunks = [];
    private long _highWater;

    // Bytes a single chunk needs for the largest step so far, counting the worst-case alignment padding of every block:
    // sizing the merged chunk by the depth alone left it short by the padding, so a step with many small blocks (RAD
    // seals, odd-sized samples) spilled into a second chunk and every Reset allocated again (2.4 MB per CNN step).
    private long _extent;
    private long _highWaterExtent;
    private int _chunk;
    private long _top;
    private long _depth;

    /// <summary>Bytes currently on the stack (the sum of the blocks, without alignment padding).</summary>
    public long Depth => _depth;

    /// <summary>Largest depth seen since the stack was created.</summary>
    public long HighWater => _highWater;

    /// <summary>Chunks of storage the stack holds (one in steady state).</summary>
    public int ChunkCount => _chunks.Count;

    /// <summary>Bytes of pinned storage the stack holds.</summary>
    public long CapacityBytes
    {
        get
        {
            long total = 0;
            foreach (byte[] chunk in _chunks)
            {
                total += chunk.Length;
            }

            return total;
        }
    }

    /// <summary>Makes the next <see cref="Reset"/> provide one chunk that holds <paramref name="blocks"/> blocks of <paramref name="bytes"/> in all.</summary>
    public void Reserve(long bytes, int blocks) => _highWaterExtent = Math.Max(_highWaterExtent, bytes + ((long)blocks * (Alignment - 1)));

    /// <summary>Empties the stack; merges chunks if the last step needed more than one.</summary>
    public void Reset()
    {
        if (_chunks.Count > 1 || (_chunks.Count == 1 && _chunks[0].Length < _highWaterExtent + Alignment) || (_chunks.Count == 0 && _highWaterExtent > 0))
        {
            _chunks.Clear();
            _chunks.Add(NewChunk(_highWaterExtent));
        }

        _chunk = 0;
        _top = 0;
        _depth = 0;
        _extent = 0;
    }

    /// <summary>Pushes <paramref name="count"/> elements; the content is undefined until written.</summary>
    public RetainedBlock<T> Push<T>(int count)
        where T : unmanaged
    {
        long bytes = (long)count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (_chunks.Count == 0)
        {
            _chunks.Add(NewChunk(Math.Max(bytes, 1 << 16)));
        }

        long start = AlignedOffset(_chunks[_chunk], _top);
        if (start + bytes > _chunks[_chunk].Length)
        {
            _chunk++;
            if (_chunk == _chunks.Count)
            {
                _chunks.Add(NewChunk(Math.Max(bytes, _chunks[_chunk - 1].Length)));
            }

            start = AlignedOffset(_chunks[_chunk], 0);
        }

        _depth += bytes;
        _extent += bytes + Alignment - 1;
        _top = start + bytes;
        _highWater = Math.Max(_highWater, _depth);
        _highWaterExtent = Math.Max(_highWaterExtent, _extent);
        return new RetainedBlock<T>(_chunk, start, count);
    }

    /// <summary>The span of a block pushed since the last <see cref="Reset"/>.</summary>
    public Span<T> Get<T>(RetainedBlock<T> block)
        where T : unmanaged
        => MemoryMarshal.Cast<byte, T>(_chunks[block.Chunk].AsSpan((int)block.ByteOffset, (int)block.Bytes));

    private static byte[] NewChunk(long bytes)
    {
        if (bytes + Alignment > Array.MaxLength)
        {
            throw new InvalidOperationException($"A training step needs {bytes:N0} bytes of retained activations in one block, more than one array can hold; lower the batch size or the keep fraction.");
        }

        return GC.AllocateUninitializedArray<byte>((int)(bytes + Alignment), pinned: true);
    }

    private static long AlignedOffset(byte[] chunk, long offset) => PinnedMemory.AlignedOffset(chunk, offset, Alignment);
}
