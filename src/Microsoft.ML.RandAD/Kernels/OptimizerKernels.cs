using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Fused parameter updates: one pass reads the weight, gradient and optimizer state and writes them back,
/// instead of the five or six passes separate element-wise calls would make. One generic body over
/// <see cref="IVectorWidth{TU, TF}"/> serves the 128/256/512-bit paths; the scalar path is the same IEEE arithmetic per
/// element (no fused multiply-adds, correctly rounded square root and division), so every path gives bit-identical
/// results. Long runs are split over <see cref="WorkerPool"/> in fixed parts, which cannot change any element.
/// </summary>
/// <remarks>
/// Optimizer state that falls below the smallest normal float (2^-126) is stored as 0. A parameter whose gradient is
/// exactly 0 step after step (a weight of a pixel that is 0 in every image, a dead unit) has its moment or velocity
/// decay geometrically (×0.9 per step) into the subnormal range, and x86 processors without flush-to-zero (.NET never sets
/// it) take a microcode assist of ~100+ cycles on every operation with a subnormal operand. Measured on the MLP benchmark:
/// the Adam update grew from 0.25 ms to 3–6.5 ms once a quarter of the first moments had decayed that far (Fashion-MNIST
/// epochs 3–5 ran at 18K samples/s against 43K for epoch 2). Values that small change the update by less than 2^-126·lr/ε.
/// </remarks>
internal static unsafe class OptimizerKernels
{
    private const int PartElements = 1 << 15;

    /// <summary>
    /// Elements a part of an update over <paramref name="length"/> takes: parts of about <see cref="PartElements"/>, as many as a
    /// multiple of the <paramref name="threads"/>, of equal length (whole cache lines; the last shorter by less than a line a
    /// part), so the threads finish together (the MLP's 269K parameters: 10 parts of 26,944 rather than 8 of 32,768 and a
    /// ninth of 7,178). Each element's arithmetic is its own, so the split cannot change a result.
    /// </summary>
    internal static int PerPart(int length, int threads)
    {
        int parts = (length + PartElements - 1) / PartElements;
        if (parts <= 1 || threads <= 1)
        {
            return PartElements;
        }

        parts = (parts + threads - 1) / threads * threads;
        return ((length + parts - 1) / parts + 15) & ~15;
    }

    /// <summary>2^-126, the smallest normal float; state below it in magnitude is flushed to 0.</summary>
    private const float SmallestNormal = 1.17549435E-38f;

    /// <summary>
    /// Adam / AdamW: <c>g += l2·w; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; w −= decay·w; w −= step·m/(√v·c + ε)</c>,
    /// where step = lr/(1−β₁ᵗ) and c = 1/√(1−β₂ᵗ) carry the bias corrections (PyTorch's arithmetic) and
    /// decay = lr·weightDecay for AdamW (0 for Adam, which passes its weight decay as l2). With <paramref name="alongside"/>, the
    /// calling thread runs it first while the pool's workers start the update (<see cref="WorkerPool.RunRanges{TJob}(ref TJob, int, int, Action?)"/>).
    /// </summary>
    public static void Adam(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float step, float correction, float beta1, float beta2, float epsilon, float l2, float decay, Action? alongside = null)
    {
        ThrowIfShorter(w.Length, g.Length, m.Length, v.Length);
        fixed (float* pw = w, pg = g, pm = m, pv = v)
        {
            var job = new UpdateJob(pw, pg, pm, pv, w.Length)
            {
                Adam = true, Step = step, Correction = correction, Beta1 = beta1, Beta2 = beta2, Epsilon = epsilon, L2 = l2, Decay = decay,
            };
            job.Run(alongside);
        }
    }

    /// <summary>
    /// SGD with momentum μ (PyTorch's form, no dampening): <c>g += l2·w; u = μu + g; w −= lr·(nesterov ? g + μu : u)</c>.
    /// With μ = 0 the velocity is untouched and may be empty. <paramref name="alongside"/>: as for <see cref="Adam"/>.
    /// </summary>
    public static void Sgd(Span<float> w, ReadOnlySpan<float> g, Span<float> u, float rate, float momentum, bool nesterov, float l2, Action? alongside = null)
    {
        ThrowIfShorter(w.Length, g.Length, momentum == 0 ? w.Length : u.Length, w.Length);
        fixed (float* pw = w, pg = g, pu = u)
        {
            var job = new UpdateJob(pw, pg, pu, null, w.Length)
            {
                Step = rate, Beta1 = momentum, Nesterov = nesterov, L2 = l2,
            };
            job.Run(alongside);
        }
    }

    /// <summary>0 when |x| &lt; 2^-126 (subnormal or zero), x otherwise (NaN stays NaN).</summary>
    private static float FlushSubnormal(float x) => MathF.Abs(x) < SmallestNormal ? 0f : x;

    /// <summary>The vector twin of <see cref="FlushSubnormal(float)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF FlushSubnormal<TW, TU, TF>(TF x)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        TF magnitude = TW.AsSingle(TW.And(TW.AsUInt32(x), TW.Broadcast(0x7FFF_FFFFu)));
        return TW.Select(TW.LessThanSingle(magnitude, TW.BroadcastSingle(SmallestNormal)), TW.BroadcastSingle(0f), x);
    }

    private static void ThrowIfShorter(int length, int gradient, int first, int second)
    {
        if (gradient < length || first < length || second < length)
        {
            throw new ArgumentException($"{length} parameters need as many gradients and state values; got {gradient}, {first} and {second}.");
        }
    }

    /// <summary>One update over checked pointers. SGD keeps its velocity in <c>_first</c>, its rate in <see cref="Step"/> and its momentum in <see cref="Beta1"/>.</summary>
    private struct UpdateJob(float* w, float* g, float* first, float* second, int length) : IRangeJob
    {
        private readonly float* _w = w, _g = g, _first = first, _second = second;
        private readonly int _length = length;
        private KernelPath _path;

        public bool Adam;
        public bool Nesterov;
        public float Step, Correction, Beta1, Beta2, Epsilon, L2, Decay;

        public void Run(Action? alongside)
        {
            _path = KernelSettings.Path;
            WorkerPool.RunRanges(ref this, _length, PerPart(_length, KernelSettings.ThreadCount), alongside);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public readonly void RunRange(int start, int count)
        {
            int done = _path switch
            {
                KernelPath.Vector512 => RunVector<Width512, Vector512<uint>, Vector512<float>>(start, count),
                KernelPath.Vector256 => RunVector<Width256, Vector256<uint>, Vector256<float>>(start, count),
                KernelPath.Vector128 => RunVector<Width128, Vector128<uint>, Vector128<float>>(start, count),
                _ => 0,
            };
            for (int i = start + done; i < start + count; i++)
            {
                if (Adam)
                {
                    float grad = _g[i] + (L2 * _w[i]);
                    _first[i] = FlushSubnormal((Beta1 * _first[i]) + ((1 - Beta1) * grad));
                    _second[i] = FlushSubnormal((Beta2 * _second[i]) + ((1 - Beta2) * grad * grad));
                    float weight = _w[i] - (Decay * _w[i]);
                    _w[i] = weight - (Step * _first[i] / ((MathF.Sqrt(_second[i]) * Correction) + Epsilon));
                }
                else
                {
                    float grad = _g[i] + (L2 * _w[i]);
                    if (Beta1 != 0)
                    {
                        _first[i] = FlushSubnormal((Beta1 * _first[i]) + grad);
                        grad = Nesterov ? grad + (Beta1 * _first[i]) : _first[i];
                    }

                    _w[i] -= Step * grad;
                }
            }
        }

        /// <summary>Whole vectors of [start, start + count); returns how many elements it did.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        private readonly int RunVector<TW, TU, TF>(int start, int count)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            int vectors = count - (count % TW.Count);
            float* w = _w + start, g = _g + start, first = _first + start, second = _second + start;
            TF l2 = TW.BroadcastSingle(L2), beta1 = TW.BroadcastSingle(Beta1), step = TW.BroadcastSingle(Step);
            if (Adam)
            {
                TF keep1 = TW.BroadcastSingle(1 - Beta1), beta2 = TW.BroadcastSingle(Beta2), keep2 = TW.BroadcastSingle(1 - Beta2);
                TF decay = TW.BroadcastSingle(Decay), correction = TW.BroadcastSingle(Correction), epsilon = TW.BroadcastSingle(Epsilon);
                for (int i = 0; i < vectors; i += TW.Count)
                {
                    TF wi = TW.LoadSingle(w + i);
                    TF grad = TW.AddSingle(TW.LoadSingle(g + i), TW.MultiplySingle(l2, wi));
                    TF mi = FlushSubnormal<TW, TU, TF>(TW.AddSingle(TW.MultiplySingle(beta1, TW.LoadSingle(first + i)), TW.MultiplySingle(keep1, grad)));
                    TF vi = FlushSubnormal<TW, TU, TF>(TW.AddSingle(TW.MultiplySingle(beta2, TW.LoadSingle(second + i)), TW.MultiplySingle(TW.MultiplySingle(keep2, grad), grad)));
                    TF weight = TW.SubtractSingle(wi, TW.MultiplySingle(decay, wi));
                    TF denominator = TW.AddSingle(TW.MultiplySingle(TW.Sqrt(vi), correction), epsilon);
                    TW.StoreSingle(mi, first + i);
                    TW.StoreSingle(vi, second + i);
                    TW.StoreSingle(TW.SubtractSingle(weight, TW.DivideSingle(TW.MultiplySingle(step, mi), denominator)), w + i);
                }

                return vectors;
            }

            for (int i = 0; i < vectors; i += TW.Count)
            {
                TF wi = TW.LoadSingle(w + i);
                TF grad = TW.AddSingle(TW.LoadSingle(g + i), TW.MultiplySingle(l2, wi));
                if (Beta1 != 0)
                {
                    TF ui = FlushSubnormal<TW, TU, TF>(TW.AddSingle(TW.MultiplySingle(beta1, TW.LoadSingle(first + i)), grad));
                    TW.StoreSingle(ui, first + i);
                    grad = Nesterov ? TW.AddSingle(grad, TW.MultiplySingle(beta1, ui)) : ui;
                }

                TW.StoreSingle(TW.SubtractSingle(wi, TW.MultiplySingle(step, grad)), w + i);
            }

            return vectors;
        }
    }
}
