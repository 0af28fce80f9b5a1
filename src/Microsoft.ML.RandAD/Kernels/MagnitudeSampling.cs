using System.Buffers.Binary;
using System.Numerics.Tensors;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Magnitude sampling of one row (or plane) x of D values: k points drawn with probability proportional to |xᵢ|, by
/// systematic sampling (one uniform offset u, points (u + j)·‖x‖₁/k for j &lt; k on the cumulative |x|), so entry i is
/// drawn cᵢ ∈ {⌊k|xᵢ|/‖x‖₁⌋, ⌈k|xᵢ|/‖x‖₁⌉} times with E[cᵢ] = k|xᵢ|/‖x‖₁, and
/// <c>x̂ᵢ = sign(xᵢ)·cᵢ·‖x‖₁/k</c> is unbiased.
/// </summary>
/// <remarks>
/// Every drawn entry has the same magnitude ‖x‖₁/k, so a row keeps no values: only ‖x‖₁ (4 bytes), the k indices
/// (1 byte each when D ≤ 256, else 2, else 4) and k sign bits (<see cref="CodeBytes"/>). Per entry the variance is at
/// most ‖x‖₁|xᵢ|/k, and zero entries are never drawn. Rows are independent: the batch kernels split them over the
/// threads and give the same codes for any split.
/// </remarks>
internal static unsafe class MagnitudeSampling
{
    private const int PartElements = 1 << 14;

    /// <summary>The planes of one image, per thread.</summary>
    [ThreadStatic]
    private static float[]? t_planes;

    /// <summary>Bytes of one index for rows of <paramref name="size"/> entries.</summary>
    public static int IndexBytes(int size) => size <= 256 ? 1 : size <= 65536 ? 2 : 4;

    /// <summary>Bytes of one row's codes: the indices, then the sign bits.</summary>
    public static int CodeBytes(int draws, int size) => (draws * IndexBytes(size)) + ((draws + 7) / 8);

    /// <summary>
    /// Draws <paramref name="draws"/> entries of the row <paramref name="x"/> at offset <paramref name="offset"/> ∈ [0, 1)
    /// into <paramref name="codes"/>; returns ‖x‖₁.
    /// </summary>
    /// <remarks>
    /// After entry i the number of points below the running sum Cᵢ is nᵢ = ⌈Cᵢ·k/‖x‖₁ − u⌉ (at most k), and entry i takes
    /// the draws between nᵢ₋₁ and nᵢ. Three passes: the running sums (a sequential float sum, so ‖x‖₁ is its last value
    /// on every kernel path), the nᵢ (vectorized), and a branch-free walk that writes two slots ahead unconditionally
    /// (overwritten when not taken), so only entries drawn three times or more branch. When rounding leaves the last point
    /// above Cₙ (u within k·2⁻²⁴ of 1) it goes to the last non-zero entry.
    /// </remarks>
    public static float Sample(ReadOnlySpan<float> x, int draws, float offset, Span<byte> codes)
    {
        int size = x.Length;
        Scratch scratch = Scratch.For(draws, size);
        Span<float> sums = scratch.Sums.AsSpan(0, size);
        Span<int> reached = scratch.Reached.AsSpan(0, size);
        Span<int> drawn = scratch.Drawn.AsSpan(0, draws + 3);
        float norm = RunningSums(x, sums);
        if (norm > 0f && float.IsFinite(norm))
        {
            TensorPrimitives.Multiply(sums, draws / norm, sums);
            TensorPrimitives.Subtract(sums, offset, sums);
            TensorPrimitives.Ceiling(sums, sums); // in [0, k + 1]: converts exactly
            TensorPrimitives.ConvertTruncating(sums, reached); // at most k + 1 (rounding): the third slack slot takes it
            int emitted = 0;
            for (int i = 0; i < size; i++)
            {
                int next = reached[i];
                drawn[emitted] = i;
                drawn[emitted + 1] = i;
                for (int j = emitted + 2; j < next; j++)
                {
                    drawn[j] = i;
                }

                emitted = next;
            }

            if (emitted < draws)
            {
                int last = size - 1;
                while (x[last] == 0f)
                {
                    last--;
                }

                drawn.Slice(emitted, draws - emitted).Fill(last);
            }
        }
        else
        {
            drawn.Clear(); // a zero row decodes to zeros; a non-finite one keeps its norm, so the loss diverges visibly
        }

        int width = IndexBytes(size);
        Span<byte> signs = codes.Slice(draws * width, (draws + 7) / 8);
        signs.Clear();
        for (int j = 0; j < draws; j++)
        {
            int index = drawn[j];
            switch (width)
            {
                case 1: codes[j] = (byte)index; break;
                case 2: BinaryPrimitives.WriteUInt16LittleEndian(codes.Slice(2 * j), (ushort)index); break;
                default: BinaryPrimitives.WriteInt32LittleEndian(codes.Slice(4 * j), index); break;
            }

            if (x[index] < 0f)
            {
                signs[j >> 3] |= (byte)(1 << (j & 7));
            }
        }

        return norm;
    }

    /// <summary>
    /// Samples every row of <paramref name="input"/> (rows × columns, rows <paramref name="rowStride"/> apart), row r at
    /// offset <c>offsets[r]</c>: ‖row‖₁ into <c>norms[r]</c>, codes into <c>codes[r·CodeBytes..]</c>.
    /// </summary>
    public static void SampleRows(ReadOnlySpan<float> input, int rows, int columns, int rowStride, int draws, ReadOnlySpan<float> offsets, Span<float> norms, Span<byte> codes)
    {
        int rowBytes = CodeBytes(draws, columns);
        if (rows == 0)
        {
            return;
        }

        if (input.Length < ((long)(rows - 1) * rowStride) + columns || offsets.Length < rows || norms.Length < rows || codes.Length < (long)rows * rowBytes)
        {
            throw new ArgumentException($"Magnitude sampling of {rows}×{columns} rows: a span is too short.");
        }

        fixed (float* x = input, u = offsets, n = norms)
        fixed (byte* c = codes)
        {
            var job = new RowJob { Input = x, Offsets = u, Norms = n, Codes = c, Columns = columns, RowStride = rowStride, Draws = draws, RowBytes = rowBytes };
            WorkerPool.RunRanges(ref job, rows, Math.Max(1, PartElements / Math.Max(1, columns)));
        }
    }

    /// <summary>
    /// Samples every (image, channel) plane of <paramref name="count"/> NHWC images of <paramref name="plane"/> positions ×
    /// <paramref name="channels"/>: plane p = n·C + c at offset <c>offsets[p]</c>, ‖plane‖₁ into <c>norms[p]</c>, codes into
    /// <c>codes[p·CodeBytes..]</c>.
    /// </summary>
    public static void SamplePlanes(ReadOnlySpan<float> images, int count, int plane, int channels, int draws, ReadOnlySpan<float> offsets, Span<float> norms, Span<byte> codes)
    {
        int planeBytes = CodeBytes(draws, plane);
        long planes = (long)count * channels;
        if (images.Length < planes * plane || offsets.Length < planes || norms.Length < planes || codes.Length < planes * planeBytes)
        {
            throw new ArgumentException($"Magnitude sampling of {count} images of {plane}×{channels}: a span is too short.");
        }

        fixed (float* x = images, u = offsets, n = norms)
        fixed (byte* c = codes)
        {
            var job = new PlaneJob { Images = x, Offsets = u, Norms = n, Codes = c, Plane = plane, Channels = channels, Draws = draws, PlaneBytes = planeBytes };
            WorkerPool.RunRanges(ref job, count, Math.Max(1, PartElements / Math.Max(1, plane * channels)));
        }
    }

    /// <summary>
    /// Running sums of |x| into <paramref name="sums"/>; returns the last. Four quarters are summed side by side (four
    /// independent chains instead of one float add's latency per entry), then each quarter adds the total before it:
    /// a fixed order, the same on every kernel path.
    /// </summary>
    private static float RunningSums(ReadOnlySpan<float> x, Span<float> sums)
    {
        int size = x.Length, quarter = size / 4;
        float a = 0f, b = 0f, c = 0f, d = 0f;
        for (int i = 0; i < quarter; i++)
        {
            a += MathF.Abs(x[i]);
            b += MathF.Abs(x[quarter + i]);
            c += MathF.Abs(x[(2 * quarter) + i]);
            d += MathF.Abs(x[(3 * quarter) + i]);
            sums[i] = a;
            sums[quarter + i] = b;
            sums[(2 * quarter) + i] = c;
            sums[(3 * quarter) + i] = d;
        }

        for (int i = 4 * quarter; i < size; i++)
        {
            d += MathF.Abs(x[i]);
            sums[i] = d;
        }

        if (quarter > 0)
        {
            float ab = a + b, abc = ab + c;
            TensorPrimitives.Add(sums.Slice(quarter, quarter), a, sums.Slice(quarter, quarter));
            TensorPrimitives.Add(sums.Slice(2 * quarter, quarter), ab, sums.Slice(2 * quarter, quarter));
            TensorPrimitives.Add(sums.Slice(3 * quarter), abc, sums.Slice(3 * quarter));
        }

        return sums[size - 1];
    }

    /// <summary>Decodes a row's draws: index and value ±‖x‖₁/k of each.</summary>
    public static void Decode(ReadOnlySpan<byte> codes, int size, int draws, float norm, Span<int> indices, Span<float> values)
    {
        int width = IndexBytes(size);
        ReadOnlySpan<byte> signs = codes.Slice(draws * width, (draws + 7) / 8);
        float magnitude = norm / draws;
        for (int j = 0; j < draws; j++)
        {
            indices[j] = Read(codes, width, j);
            values[j] = (signs[j >> 3] & (1 << (j & 7))) != 0 ? -magnitude : magnitude;
        }
    }

    /// <summary>Adds a row's x̂ into <c>destination[i·stride]</c> (cleared by the caller).</summary>
    public static void AddTo(ReadOnlySpan<byte> codes, int size, int draws, float norm, Span<float> destination, int stride)
    {
        int width = IndexBytes(size);
        ReadOnlySpan<byte> signs = codes.Slice(draws * width, (draws + 7) / 8);
        float magnitude = norm / draws;
        for (int j = 0; j < draws; j++)
        {
            destination[Read(codes, width, j) * stride] += (signs[j >> 3] & (1 << (j & 7))) != 0 ? -magnitude : magnitude;
        }
    }

    private static int Read(ReadOnlySpan<byte> codes, int width, int j) => width switch
    {
        1 => codes[j],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(codes.Slice(2 * j)),
        _ => BinaryPrimitives.ReadInt32LittleEndian(codes.Slice(4 * j)),
    };

    private struct RowJob : IRangeJob
    {
        public float* Input;
        public float* Offsets;
        public float* Norms;
        public byte* Codes;
        public int Columns;
        public int RowStride;
        public int Draws;
        public int RowBytes;

        public readonly void RunRange(int first, int count)
        {
            for (int r = first; r < first + count; r++)
            {
                var row = new ReadOnlySpan<float>(Input + ((long)r * RowStride), Columns);
                Norms[r] = Sample(row, Draws, Offsets[r], new Span<byte>(Codes + ((long)r * RowBytes), RowBytes));
            }
        }
    }

    private struct PlaneJob : IRangeJob
    {
        public float* Images;
        public float* Offsets;
        public float* Norms;
        public byte* Codes;
        public int Plane;
        public int Channels;
        public int Draws;
        public int PlaneBytes;

        public readonly void RunRange(int first, int count)
        {
            int c = Channels, size = Plane * c;
            if (t_planes is null || t_planes.Length < size)
            {
                t_planes = new float[size];
            }

            Span<float> planes = t_planes.AsSpan(0, size);
            for (int n = first; n < first + count; n++)
            {
                // NHWC → one contiguous plane per channel, then each plane is a row.
                var image = new ReadOnlySpan<float>(Images + ((long)n * size), size);
                for (int i = 0; i < Plane; i++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        planes[(ch * Plane) + i] = image[(i * c) + ch];
                    }
                }

                for (int ch = 0; ch < c; ch++)
                {
                    long at = ((long)n * c) + ch;
                    Norms[at] = Sample(planes.Slice(ch * Plane, Plane), Draws, Offsets[at], new Span<byte>(Codes + (at * PlaneBytes), PlaneBytes));
                }
            }
        }
    }

    /// <summary>Per-thread buffers of <see cref="Sample"/>: running sums and reached counts of a row, and its draws.</summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? t_scratch;

        public float[] Sums { get; private set; } = [];

        public int[] Reached { get; private set; } = [];

        public int[] Drawn { get; private set; } = [];

        public static Scratch For(int draws, int size)
        {
            Scratch scratch = t_scratch ??= new Scratch();
            if (scratch.Sums.Length < size)
            {
                scratch.Sums = new float[size];
                scratch.Reached = new int[size];
            }

            if (scratch.Drawn.Length < draws + 3)
            {
                scratch.Drawn = new int[draws + 3];
            }

            return scratch;
        }
    }
}
