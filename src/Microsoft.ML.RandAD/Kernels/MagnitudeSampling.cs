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

    /// <summary>Draw indices of the calling thread (draws + 2), and the planes of one image.</summary>
    [ThreadStatic]
    private static int[]? t_drawn;

    [ThreadStatic]
    private static float[]? t_planes;

    /// <summary>Bytes of one index for rows of <paramref name="size"/> entries.</summary>
    public static int IndexBytes(int size) => size <= 256 ? 1 : size <= 65536 ? 2 : 4;

    /// <summary>Bytes of one row's codes: the indices, then the sign bits.</summary>
    public static int CodeBytes(int draws, int size) => (draws * IndexBytes(size)) + ((draws + 7) / 8);

    /// <summary>
    /// Draws <paramref name="draws"/> entries of the row <paramref name="x"/> at offset <paramref name="offset"/> ∈ [0, 1)
    /// into <paramref name="codes"/>; returns ‖x‖₁. <paramref name="drawn"/> is scratch for draws + 2 indices.
    /// </summary>
    /// <remarks>
    /// Branch-free walk: after entry i the number of points below the running sum C is n = ⌈C·k/‖x‖₁ − u⌉ (clamped to
    /// [0, k]), and entry i takes the draws between the previous n and this one. Two slots are written ahead
    /// unconditionally (overwritten when not taken), so only entries drawn three times or more branch. The running sum
    /// and ‖x‖₁ are summed in different orders; when rounding leaves the last point above the running sum (probability
    /// about k·2⁻²³ per row) it goes to the last non-zero entry.
    /// </remarks>
    public static float Sample(ReadOnlySpan<float> x, int draws, float offset, Span<byte> codes, Span<int> drawn)
    {
        int size = x.Length;
        float norm = TensorPrimitives.SumOfMagnitudes(x);
        drawn = drawn.Slice(0, draws + 2);
        if (norm > 0f && float.IsFinite(norm))
        {
            float scale = draws / norm, cumulative = 0f;
            int emitted = 0;
            for (int i = 0; i < size; i++)
            {
                float magnitude = MathF.Abs(x[i]);
                cumulative += magnitude;
                int reached = Math.Clamp((int)MathF.Ceiling((cumulative * scale) - offset), emitted, draws);
                drawn[emitted] = i;
                drawn[emitted + 1] = i;
                for (int j = emitted + 2; j < reached; j++)
                {
                    drawn[j] = i;
                }

                emitted = reached;
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

    private static Span<int> DrawScratch(int draws)
    {
        if (t_drawn is null || t_drawn.Length < draws + 2)
        {
            t_drawn = new int[draws + 2];
        }

        return t_drawn;
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
            Span<int> drawn = DrawScratch(Draws);
            for (int r = first; r < first + count; r++)
            {
                var row = new ReadOnlySpan<float>(Input + ((long)r * RowStride), Columns);
                Norms[r] = Sample(row, Draws, Offsets[r], new Span<byte>(Codes + ((long)r * RowBytes), RowBytes), drawn);
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
            Span<int> drawn = DrawScratch(Draws);
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
                    Norms[at] = Sample(planes.Slice(ch * Plane, Plane), Draws, Offsets[at], new Span<byte>(Codes + (at * PlaneBytes), PlaneBytes), drawn);
                }
            }
        }
    }
}
