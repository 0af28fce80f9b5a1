using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Counter-based random numbers (Philox4x32-10): the output for a given (seed, stream, counter) is a pure
/// function of those three, so a backward pass regenerates a forward pass's sample exactly, on every kernel
/// path and thread count, without storing it.
/// </summary>
/// <remarks>
/// <para>
/// Block <c>t</c> of a call is Philox4x32-10 (Salmon et al., Random123) with key words
/// <c>(k0, k1) = (low, high 32 bits of seed)</c> applied to the counter words
/// <c>(c0, c1, c2, c3) = (low, high 32 bits of counter + t, low, high 32 bits of stream)</c>, where
/// <c>counter + t</c> wraps modulo 2^64. It yields four 32-bit words <c>x0…x3</c> in Random123's order, so
/// Random123's published known answers hold (for example counter 0, key 0 gives 6627e8d5 e169c58d bc57ac4c 9b00dbd8).
/// The <em>word stream</em> of a call is x0…x3 of block 0, then of block 1, and so on.
/// </para>
/// <list type="bullet">
/// <item><see cref="FillUInt32"/>: element i is word i of the stream (block i/4, word i%4).</item>
/// <item><see cref="UniformFloats"/>: element i is <c>(word i &gt;&gt; 8)·2^-24</c>, in [0, 1) with 24 random bits.</item>
/// <item><see cref="BernoulliMask"/>: bit i is <c>(word i &gt;&gt; 8) &lt; round(p·2^24)</c>, i.e. set exactly when element i of
/// <see cref="UniformFloats"/> is below p rounded (half to even) to a multiple of 2^-24.</item>
/// <item><see cref="UniformIndices"/>: element i is <c>(w·d) &gt;&gt; 64</c> where w is the 64-bit word built from words
/// <c>2(i % 2)</c> (low) and <c>2(i % 2) + 1</c> (high) of block <c>i / 2</c>: the bias is at most d/2^64.</item>
/// <item><see cref="Rademacher"/>: element i is −magnitude when bit <c>i % 32</c> of word <c>i / 32</c> is set, else +magnitude.</item>
/// <item><see cref="Gaussian"/>: elements 2j and 2j+1 are <c>r·cos θ</c> and <c>r·sin θ</c> with <c>r = σ·sqrt(−2 ln u1)</c>, <c>θ = 2π·u2</c>,
/// <c>u1 = ((word 2j &gt;&gt; 8) + 1)·2^-24</c> in (0, 1] and <c>u2 = (word 2j+1 &gt;&gt; 8)·2^-24</c>; ln, sin and cos are RandAD's own
/// single-precision polynomials (Cephes coefficients, exact integer angle reduction), not <see cref="MathF"/>.</item>
/// </list>
/// <para>
/// <b>Continuing a sequence.</b> Elements [s, n) of one call equal a second call of length n − s started at
/// <c>counter + s / P</c>, where P is the elements per block (<see cref="WordsPerBlock"/> for words, floats, Gaussians and
/// Bernoulli bits; <see cref="IndicesPerBlock"/>; <see cref="SignsPerBlock"/>) and s is a multiple of P
/// (of 64 for <see cref="BernoulliMask"/>, which writes whole mask words). The parallel kernels split work exactly this way, which is
/// why results do not depend on the thread count.
/// </para>
/// <para>
/// The vector paths run Philox on 4, 8 or 16 counters at once and are bit-identical to the scalar path. Gaussian
/// deviates do not use <see cref="MathF"/>'s log/sin/cos (they come from the platform's C runtime and have no bit-identical
/// vector twin): the transform is defined by RandAD's own polynomials, evaluated with the same IEEE operations (add,
/// multiply, fused multiply-add, square root) on every path, so Gaussians are bit-identical across paths, thread counts
/// and operating systems, and within a few ulps of exact Box–Muller.
/// </para>
/// </remarks>
public static unsafe class CounterRng
{
    /// <summary>Elements per Philox block for <see cref="FillUInt32"/>, <see cref="UniformFloats"/>, <see cref="Gaussian"/> and <see cref="BernoulliMask"/>.</summary>
    public const int WordsPerBlock = 4;

    /// <summary>Elements per Philox block for <see cref="UniformIndices"/>.</summary>
    public const int IndicesPerBlock = 2;

    /// <summary>Elements per Philox block for <see cref="Rademacher"/>.</summary>
    public const int SignsPerBlock = 128;

    // Philox4x32 round multipliers and Weyl key increments (Salmon et al. 2011), shared with the vector paths.
    internal const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>Fills <paramref name="destination"/> with uniform 32-bit words.</summary>
    /// <param name="seed">The key.</param>
    /// <param name="stream">Independent stream number (e.g. layer id).</param>
    /// <param name="counter">First block index.</param>
    /// <param name="destination">Where the words go.</param>
    public static void FillUInt32(ulong seed, ulong stream, ulong counter, Span<uint> destination)
    {
        fixed (uint* p = destination)
        {
            var job = new RngJob(RngKind.UInt32, seed, stream, counter, p, destination.Length, WordsPerBlock);
            job.Run();
        }
    }

    /// <summary>Fills <paramref name="destination"/> with floats uniform on [0, 1), multiples of 2^-24 (for dropout and sampling).</summary>
    /// <param name="seed">The key.</param>
    /// <param name="stream">Independent stream number.</param>
    /// <param name="counter">First block index (each block gives 4 floats).</param>
    /// <param name="destination">Where the values go.</param>
    public static void UniformFloats(ulong seed, ulong stream, ulong counter, Span<float> destination)
    {
        fixed (float* p = destination)
        {
            var job = new RngJob(RngKind.UniformFloats, seed, stream, counter, p, destination.Length, WordsPerBlock);
            job.Run();
        }
    }

    /// <summary>
    /// Writes a dropout keep mask in <see cref="BitMask"/> layout: bit i is set with probability
    /// <paramref name="keepProbability"/> (rounded to a multiple of 2^-24), independently per element.
    /// </summary>
    /// <param name="seed">The key.</param>
    /// <param name="stream">Independent stream number.</param>
    /// <param name="counter">First block index (each block gives 4 bits; a mask word uses 16 blocks).</param>
    /// <param name="keepProbability">Probability that a bit is set, in [0, 1].</param>
    /// <param name="length">Number of elements (bits).</param>
    /// <param name="mask">At least <see cref="BitMask.WordCount"/>(length) words; bits past <paramref name="length"/> are cleared.</param>
    /// <exception cref="ArgumentOutOfRangeException">The probability is outside [0, 1] or NaN, or the length is negative.</exception>
    /// <exception cref="ArgumentException">The mask is too short.</exception>
    public static void BernoulliMask(ulong seed, ulong stream, ulong counter, float keepProbability, int length, Span<ulong> mask)
    {
        if (!(keepProbability >= 0f && keepProbability <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(keepProbability), keepProbability, "The keep probability must lie in [0, 1].");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (mask.Length < BitMask.WordCount(length))
        {
            throw new ArgumentException($"The mask has {mask.Length} words; {length} bits need {BitMask.WordCount(length)}.", nameof(mask));
        }

        fixed (ulong* p = mask)
        {
            var job = new RngJob(RngKind.Bernoulli, seed, stream, counter, p, length, WordsPerBlock)
            {
                Threshold = BernoulliThreshold(keepProbability),
            };
            job.Run();
        }
    }

    /// <summary>Fills <paramref name="destination"/> with integers uniform on [0, <paramref name="bound"/>).</summary>
    /// <param name="seed">The key.</param>
    /// <param name="stream">Independent stream number.</param>
    /// <param name="counter">First block index (each block gives 2 indices).</param>
    /// <param name="bound">Exclusive upper bound, at least 1.</param>
    /// <param name="destination">Where the integers go.</param>
    public static void UniformIndices(ulong seed, ulong stream, ulong counter, int bound, Span<int> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bound, 1);
        fixed (int* p = destination)
        {
            var job = new RngJob(RngKind.Indices, seed, stream, counter, p, destination.Length, IndicesPerBlock) { Threshold = (uint)bound };
            job.Run();
        }
    }

    /// <summary>Fills <paramref name="destination"/> with ±<paramref name="magnitude"/>, each sign with probability ½ (bit i of the word stream).</summary>
    /// <param name="seed">The key.</param>
    /// <param name="stream">Independent stream number.</param>
    /// <param name="counter">First block index (each block gives 128 signs).</param>
    /// <param name="magnitude">The absolute value of every entry.</param>
    /// <param name="destination">Where the values go.</param>
    public static void Rademacher(ulong seed, ulong stream, ulong counter, float magnitude, Span<float> destination)
    {
        fixed (float* p = destination)
        {
            var job = new RngJob(RngKind.Rademacher, seed, stream, counter, p, destination.Length, SignsPerBlock) { Scale = magnitude };
            job.Run();
        }
    }

    /// <summary>Fills <paramref name="destination"/> with normal deviates of mean 0 (Box–Muller on pairs of words).</summary>
    /// <param name="seed">The key.</param>
    /// <param name="stream">Independent stream number.</param>
    /// <param name="counter">First block index (each block gives 4 deviates).</param>
    /// <param name="standardDeviation">The standard deviation.</param>
    /// <param name="destination">Where the values go.</param>
    public static void Gaussian(ulong seed, ulong stream, ulong counter, float standardDeviation, Span<float> destination)
    {
        fixed (float* p = destination)
        {
            var job = new RngJob(RngKind.Gaussian, seed, stream, counter, p, destination.Length, WordsPerBlock) { Scale = standardDeviation };
            job.Run();
        }
    }

    /// <summary>The integer threshold of <see cref="BernoulliMask"/>: round-half-even(p·2^24), in [0, 2^24].</summary>
    internal static uint BernoulliThreshold(float keepProbability) => (uint)MathF.Round(keepProbability * 16777216f);

    /// <summary>One Philox4x32-10 block (the reference every vector path is tested against).</summary>
    internal static void Block(ulong seed, ulong stream, ulong counter, Span<uint> output)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = (uint)stream, c3 = (uint)(stream >> 32);
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n1 = (uint)p1;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            uint n3 = (uint)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0;
            k1 += W1;
        }

        output[0] = c0;
        output[1] = c1;
        output[2] = c2;
        output[3] = c3;
    }

    /// <summary>Runs the job's range [start, start + length) on the active path (called once, or once per part).</summary>
    private static void Generate(in RngJob job, KernelPath path, int start, int length)
    {
        ulong counter = job.Counter + (ulong)(start / job.PerBlock);
        switch (path)
        {
            case KernelPath.Vector512:
                GenerateVector<Width512, Vector512<uint>, Vector512<float>>(job, counter, start, length);
                break;
            case KernelPath.Vector256:
                GenerateVector<Width256, Vector256<uint>, Vector256<float>>(job, counter, start, length);
                break;
            case KernelPath.Vector128:
                GenerateVector<Width128, Vector128<uint>, Vector128<float>>(job, counter, start, length);
                break;
            default:
                GenerateScalar(job, counter, start, length);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void GenerateVector<TW, TU, TF>(in RngJob job, ulong counter, int start, int length)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        switch (job.Kind)
        {
            case RngKind.UInt32:
                PhiloxLanes.FillUInt32<TW, TU, TF>(job.Seed, job.Stream, counter, (uint*)job.Destination + start, length);
                break;
            case RngKind.UniformFloats:
                PhiloxLanes.UniformFloats<TW, TU, TF>(job.Seed, job.Stream, counter, (float*)job.Destination + start, length);
                break;
            case RngKind.Bernoulli:
                PhiloxLanes.BernoulliMask<TW, TU, TF>(job.Seed, job.Stream, counter, job.Threshold, length, (ulong*)job.Destination + start / 64);
                break;
            case RngKind.Indices:
                PhiloxLanes.UniformIndices<TW, TU, TF>(job.Seed, job.Stream, counter, job.Threshold, (int*)job.Destination + start, length);
                break;
            case RngKind.Rademacher:
                PhiloxLanes.Rademacher<TW, TU, TF>(job.Seed, job.Stream, counter, job.Scale, (float*)job.Destination + start, length);
                break;
            default:
                PhiloxLanes.Gaussian<TW, TU, TF>(job.Seed, job.Stream, counter, job.Scale, (float*)job.Destination + start, length);
                break;
        }
    }

    private static void GenerateScalar(in RngJob job, ulong counter, int start, int length)
    {
        switch (job.Kind)
        {
            case RngKind.UInt32:
                CounterRngReference.FillUInt32(job.Seed, job.Stream, counter, new Span<uint>((uint*)job.Destination + start, length));
                break;
            case RngKind.UniformFloats:
                CounterRngReference.UniformFloats(job.Seed, job.Stream, counter, new Span<float>((float*)job.Destination + start, length));
                break;
            case RngKind.Bernoulli:
                CounterRngReference.BernoulliMask(job.Seed, job.Stream, counter, job.Threshold, length, new Span<ulong>((ulong*)job.Destination + start / 64, BitMask.WordCount(length)));
                break;
            case RngKind.Indices:
                CounterRngReference.UniformIndices(job.Seed, job.Stream, counter, (int)job.Threshold, new Span<int>((int*)job.Destination + start, length));
                break;
            case RngKind.Rademacher:
                CounterRngReference.Rademacher(job.Seed, job.Stream, counter, job.Scale, new Span<float>((float*)job.Destination + start, length));
                break;
            default:
                CounterRngReference.Gaussian(job.Seed, job.Stream, counter, job.Scale, new Span<float>((float*)job.Destination + start, length));
                break;
        }
    }

    private enum RngKind
    {
        UInt32,
        UniformFloats,
        Bernoulli,
        Indices,
        Rademacher,
        Gaussian,
    }

    /// <summary>One fill request; large ones are split into parts at block boundaries (see the remarks on continuing a sequence).</summary>
    private struct RngJob(RngKind kind, ulong seed, ulong stream, ulong counter, void* destination, int length, int perBlock) : IRangeJob
    {
        // Parts are a fixed number of elements, a multiple of every per-block count and of 64 (one mask word),
        // so the split depends only on the length. Gaussians cost ~20x more per element than words.
        private const int PartElements = 1 << 16, GaussianPartElements = 1 << 12;

        public readonly RngKind Kind = kind;
        public readonly ulong Seed = seed, Stream = stream, Counter = counter;
        public readonly void* Destination = destination;
        public readonly int Length = length, PerBlock = perBlock;
        public uint Threshold;
        public float Scale;
        private KernelPath _path;
        private int _partElements;

        public void Run()
        {
            _path = KernelSettings.Path;
            _partElements = Kind == RngKind.Gaussian ? GaussianPartElements : PartElements;
            WorkerPool.RunRanges(ref this, Length, _partElements);
        }

        public readonly void RunRange(int first, int count) => Generate(this, _path, first, count);
    }
}
