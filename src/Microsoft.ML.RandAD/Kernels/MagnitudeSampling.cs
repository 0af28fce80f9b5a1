using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    // Rows go to the threads in smaller parts than planes: a recurrent layer samples its 128 × 128 hidden state at every
    // step, which in parts of 2^14 elements ran on the calling thread alone while the other waited (the row IRNN's RAD step
    // 1.35–1.53× exact's, 1.30–1.33× in parts of 2^12; the MLP's and the CNN's the same either way; paired `step-compare`,
    // twenty-fourth session). Rows are sampled independently, so the split changes no bit.
    private const int RowPartElements = 1 << 12;

    /// <summary>
    /// Whether the walk writes a vector's draws whole when its entries are drawn at most twice: with a table permutation on
    /// AVX2, a compress on AVX-512, a plane's signs gathered (on by default). Off, the walk of the eighteenth session (AVX2:
    /// the per-entry loop over the changed entries; AVX-512: one draw per entry only), for comparisons
    /// (<c>magnitude-timing --whole-vectors</c>, <c>step-compare --whole-vectors</c>). The draws are the same either way.
    /// </summary>
    internal static bool WalksWholeVectors { get; set; } = true;

    /// <summary>Bytes of one index for rows of <paramref name="size"/> entries.</summary>
    public static int IndexBytes(int size) => size <= 256 ? 1 : size <= 65536 ? 2 : 4;

    /// <summary>Bytes of one row's codes: the indices, then the sign bits.</summary>
    public static int CodeBytes(int draws, int size) => (draws * IndexBytes(size)) + ((draws + 7) / 8);

    /// <summary>
    /// Draws <paramref name="draws"/> entries of the row <paramref name="x"/> at offset <paramref name="offset"/> ∈ [0, 1)
    /// into <paramref name="codes"/>; returns ‖x‖₁.
    /// </summary>
    public static float Sample(ReadOnlySpan<float> x, int draws, float offset, Span<byte> codes)
    {
        if (x.IsEmpty || codes.Length < CodeBytes(draws, x.Length))
        {
            throw new ArgumentException($"Magnitude sampling of a row of {x.Length}: empty, or codes shorter than {CodeBytes(draws, x.Length)} bytes.");
        }

        fixed (float* px = x)
        fixed (byte* pc = codes)
        {
            return Sample(px, 1, x.Length, draws, offset, pc, Scratch.For(draws, x.Length), KernelSettings.Path);
        }
    }

    /// <summary>
    /// <see cref="Sample(ReadOnlySpan{float}, int, float, Span{byte})"/> of the <paramref name="size"/> entries
    /// <c>x[i·stride]</c> (a row when the stride is 1, an NHWC plane when it is the channel count).
    /// </summary>
    /// <remarks>
    /// After entry i the number of points below the running sum Cᵢ is nᵢ = ⌈Cᵢ·k/‖x‖₁ − u⌉ (at most k + 1 by rounding),
    /// and entry i takes the draws between nᵢ₋₁ and nᵢ. Three passes: the running sums (a sequential float sum, so ‖x‖₁ is
    /// its last value on every kernel path), the nᵢ (vectorized), and a walk over only the entries where n changes, found
    /// a vector at a time (at f = 0.1 a row has 0.19–0.34 draws per entry, so most entries are skipped); a vector whose
    /// changed entries take one draw each writes them with one compress on AVX-512, one table permutation on AVX2. The
    /// per-entry walk writes two slots ahead unconditionally (overwritten when not taken), so only entries drawn three
    /// times or more branch.
    /// When rounding leaves the last point above Cₙ (u within k·2⁻²⁴ of 1) it goes to the last non-zero entry.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float Sample(float* x, int stride, int size, int draws, float offset, byte* codes, Scratch scratch, KernelPath path)
    {
        float* sums = scratch.Sums; // sums[-1] = 0
        int* drawn = scratch.Drawn; // draw j: entry index, the entry's sign in bit 31
        float norm = RunningSums(x, stride, size, sums, path);
        if (norm > 0f && float.IsFinite(norm))
        {
            float scale = draws / norm;
            int emitted = path switch
            {
                KernelPath.Vector512 => MagnitudeSamplingLanes.Walk512(sums, size, scale, offset, x, stride, drawn, WalksWholeVectors),
                KernelPath.Vector256 when Avx2.IsSupported && WalksWholeVectors => MagnitudeSamplingLanes.Walk256(sums, size, scale, offset, x, stride, drawn),
                KernelPath.Vector256 => MagnitudeSamplingLanes.Walk<Width256, Vector256<uint>, Vector256<float>>(sums, size, scale, offset, x, stride, drawn),
                KernelPath.Vector128 => MagnitudeSamplingLanes.Walk<Width128, Vector128<uint>, Vector128<float>>(sums, size, scale, offset, x, stride, drawn),
                _ => MagnitudeSamplingLanes.Walk(sums, 0, size, 0, scale, offset, x, stride, drawn),
            };
            if (emitted < draws)
            {
                int last = size - 1;
                while (x[(long)last * stride] == 0f)
                {
                    last--;
                }

                new Span<int>(drawn + emitted, draws - emitted).Fill(MagnitudeSamplingLanes.Entry(x, stride, last));
            }
        }
        else
        {
            new Span<int>(drawn, draws).Clear(); // a zero row decodes to zeros; a non-finite one keeps its norm, so the loss diverges visibly
        }

        int width = IndexBytes(size);
        switch (path)
        {
            case KernelPath.Vector512:
                MagnitudeSamplingLanes.Encode<Width512, Vector512<uint>, Vector512<float>>(drawn, draws, width, codes);
                break;
            case KernelPath.Vector256:
                MagnitudeSamplingLanes.Encode<Width256, Vector256<uint>, Vector256<float>>(drawn, draws, width, codes);
                break;
            case KernelPath.Vector128:
                MagnitudeSamplingLanes.Encode<Width128, Vector128<uint>, Vector128<float>>(drawn, draws, width, codes);
                break;
            default:
                MagnitudeSamplingLanes.Encode(drawn, draws, width, codes);
                break;
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
            var job = new RowJob { Input = x, Offsets = u, Norms = n, Codes = c, Columns = columns, RowStride = rowStride, Draws = draws, RowBytes = rowBytes, Path = KernelSettings.Path };
            WorkerPool.RunRanges(ref job, rows, Math.Max(1, RowPartElements / Math.Max(1, columns)));
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
            var job = new PlaneJob { Images = x, Offsets = u, Norms = n, Codes = c, Plane = plane, Channels = channels, Draws = draws, PlaneBytes = planeBytes, Path = KernelSettings.Path };
            WorkerPool.RunRanges(ref job, count, Math.Max(1, PartElements / Math.Max(1, plane * channels)));
        }
    }

    /// <summary>
    /// Running sums of |x[i·stride]| into <paramref name="sums"/>; returns the last. Four quarters are summed side by side
    /// (four independent chains instead of one float add's latency per entry), then each quarter adds the total before it:
    /// a fixed order, the same on every kernel path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float RunningSums(float* x, int stride, int size, float* sums, KernelPath path)
    {
        int quarter = size / 4;
        long step = (long)quarter * stride;
        float a = 0f, b = 0f, c = 0f, d = 0f;
        float* xa = x, xb = x + step, xc = x + (2 * step), xd = x + (3 * step);
        for (int i = 0; i < quarter; i++, xa += stride, xb += stride, xc += stride, xd += stride)
        {
            a += MathF.Abs(*xa);
            b += MathF.Abs(*xb);
            c += MathF.Abs(*xc);
            d += MathF.Abs(*xd);
            sums[i] = a;
            sums[quarter + i] = b;
            sums[(2 * quarter) + i] = c;
            sums[(3 * quarter) + i] = d;
        }

        for (int i = 4 * quarter; i < size; i++, xd += stride)
        {
            d += MathF.Abs(*xd);
            sums[i] = d;
        }

        if (quarter > 0)
        {
            float ab = a + b, abc = ab + c;
            MagnitudeSamplingLanes.AddScalar(sums + quarter, quarter, a, path);
            MagnitudeSamplingLanes.AddScalar(sums + (2 * quarter), quarter, ab, path);
            MagnitudeSamplingLanes.AddScalar(sums + (3 * quarter), size - (3 * quarter), abc, path);
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
        if (codes.Length < CodeBytes(draws, size) || destination.Length < ((long)(size - 1) * stride) + 1)
        {
            throw new ArgumentException($"Rebuilding a row of {size}: a span is too short.");
        }

        fixed (byte* c = codes)
        fixed (float* d = destination)
        {
            AddTo(c, size, draws, norm, d, stride);
        }
    }

    /// <summary>
    /// Rebuilds x̂ of <paramref name="count"/> items of <paramref name="size"/> positions × <paramref name="channels"/>
    /// (NHWC images, or rows when <paramref name="channels"/> is 1) from the codes of their planes (plane p = n·C + c):
    /// clears each item and adds its planes' draws, the items split over the threads.
    /// </summary>
    public static void Rebuild(ReadOnlySpan<byte> codes, ReadOnlySpan<float> norms, int count, int size, int channels, int draws, Span<float> destination)
    {
        int planeBytes = CodeBytes(draws, size);
        long planes = (long)count * channels;
        if (codes.Length < planes * planeBytes || norms.Length < planes || destination.Length < planes * size)
        {
            throw new ArgumentException($"Rebuilding {count} items of {size}×{channels}: a span is too short.");
        }

        fixed (byte* c = codes)
        fixed (float* n = norms, d = destination)
        {
            var job = new RebuildJob { Codes = c, Norms = n, Destination = d, Size = size, Channels = channels, Draws = draws, PlaneBytes = planeBytes };
            WorkerPool.RunRanges(ref job, count, Math.Max(1, (channels == 1 ? RowPartElements : PartElements) / Math.Max(1, size * channels)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void AddTo(byte* codes, int size, int draws, float norm, float* destination, int stride)
    {
        int width = IndexBytes(size);
        byte* signs = codes + ((long)draws * width);
        float magnitude = norm / draws;
        for (int j = 0; j < draws; j++)
        {
            int index = width switch
            {
                1 => codes[j],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(codes + (2 * j), 2)),
                _ => BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(codes + (4L * j), 4)),
            };
            destination[(long)index * stride] += (signs[j >> 3] & (1 << (j & 7))) != 0 ? -magnitude : magnitude;
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
        public KernelPath Path;

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public readonly void RunRange(int first, int count)
        {
            Scratch scratch = Scratch.For(Draws, Columns);
            for (int r = first; r < first + count; r++)
            {
                Norms[r] = Sample(Input + ((long)r * RowStride), 1, Columns, Draws, Offsets[r], Codes + ((long)r * RowBytes), scratch, Path);
            }
        }
    }

    private struct RebuildJob : IRangeJob
    {
        public byte* Codes;
        public float* Norms;
        public float* Destination;
        public int Size;
        public int Channels;
        public int Draws;
        public int PlaneBytes;

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public readonly void RunRange(int first, int count)
        {
            int c = Channels;
            long itemSize = (long)Size * c;
            new Span<float>(Destination + (first * itemSize), checked((int)(count * itemSize))).Clear();
            for (int n = first; n < first + count; n++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    long at = ((long)n * c) + ch;
                    AddTo(Codes + (at * PlaneBytes), Size, Draws, Norms[at], Destination + (n * itemSize) + ch, c);
                }
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
        public KernelPath Path;

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public readonly void RunRange(int first, int count)
        {
            // Each (image, channel) plane is read in place, Channels floats apart: no gather into contiguous planes.
            Scratch scratch = Scratch.For(Draws, Plane);
            int c = Channels;
            for (int n = first; n < first + count; n++)
            {
                float* image = Images + ((long)n * Plane * c);
                for (int ch = 0; ch < c; ch++)
                {
                    long at = ((long)n * c) + ch;
                    Norms[at] = Sample(image + ch, c, Plane, Draws, Offsets[at], Codes + (at * PlaneBytes), scratch, Path);
                }
            }
        }
    }

    /// <summary>
    /// Per-thread pinned buffers of <see cref="Sample(float*, int, int, int, float, byte*, Scratch, KernelPath)"/>: running
    /// sums of a row, and its draws (with slack for the walk's writes ahead).
    /// </summary>
    private sealed class Scratch
    {
        private const int Slack = MagnitudeSamplingLanes.WalkSlack;

        [ThreadStatic]
        private static Scratch? t_scratch;

        private float[] _sums = [];
        private int[] _drawn = [];

        /// <summary>The running sums, after a 0 at index −1 (the sum before the first entry).</summary>
        public float* Sums => PinnedMemory.Pointer(_sums) + 1;

        public int* Drawn => PinnedMemory.Pointer(_drawn);

        public static Scratch For(int draws, int size)
        {
            Scratch scratch = t_scratch ??= new Scratch();
            if (scratch._sums.Length < size + 1)
            {
                scratch._sums = PinnedMemory.Allocate<float>(size + 1);
                scratch._sums[0] = 0f;
            }

            if (scratch._drawn.Length < draws + Slack)
            {
                scratch._drawn = PinnedMemory.Allocate<int>(draws + Slack);
            }

            return scratch;
        }
    }
}
