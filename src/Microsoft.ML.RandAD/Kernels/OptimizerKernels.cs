using System.Runtime.InteropServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Fused parameter updates: one pass reads the weight, gradient and optimizer state and writes them back,
/// instead of the five or six passes separate element-wise calls would make. One generic body serves the
/// 128/256/512-bit paths; the scalar path is the same arithmetic per element, so every path agrees to rounding.
/// </summary>
internal static class OptimizerKernels
{
    /// <summary>
    /// Adam / AdamW: <c>g += l2·w; m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²; w −= decay·w; w −= step·m/(√v·c + ε)</c>,
    /// where step = lr/(1−β₁ᵗ) and c = 1/√(1−β₂ᵗ) carry the bias corrections (PyTorch's arithmetic) and
    /// decay = lr·weightDecay for AdamW (0 for Adam, which passes its weight decay as l2).
    /// </summary>
    public static void Adam(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float step, float correction, float beta1, float beta2, float epsilon, float l2, float decay)
    {
        int i = KernelSettings.Path switch
        {
            KernelPath.Vector512 => AdamVector<Float512>(w, g, m, v, step, correction, beta1, beta2, epsilon, l2, decay),
            KernelPath.Vector256 => AdamVector<Float256>(w, g, m, v, step, correction, beta1, beta2, epsilon, l2, decay),
            KernelPath.Vector128 => AdamVector<Float128>(w, g, m, v, step, correction, beta1, beta2, epsilon, l2, decay),
            _ => 0,
        };
        for (; i < w.Length; i++)
        {
            float grad = g[i] + l2 * w[i];
            m[i] = beta1 * m[i] + (1 - beta1) * grad;
            v[i] = beta2 * v[i] + (1 - beta2) * grad * grad;
            float weight = w[i] - decay * w[i];
            w[i] = weight - step * m[i] / (MathF.Sqrt(v[i]) * correction + epsilon);
        }
    }

    /// <summary>
    /// SGD with momentum μ (PyTorch's form, no dampening): <c>g += l2·w; u = μu + g; w −= lr·(nesterov ? g + μu : u)</c>.
    /// With μ = 0 the velocity is untouched and may be empty.
    /// </summary>
    public static void Sgd(Span<float> w, ReadOnlySpan<float> g, Span<float> u, float rate, float momentum, bool nesterov, float l2)
    {
        int i = KernelSettings.Path switch
        {
            KernelPath.Vector512 => SgdVector<Float512>(w, g, u, rate, momentum, nesterov, l2),
            KernelPath.Vector256 => SgdVector<Float256>(w, g, u, rate, momentum, nesterov, l2),
            KernelPath.Vector128 => SgdVector<Float128>(w, g, u, rate, momentum, nesterov, l2),
            _ => 0,
        };
        for (; i < w.Length; i++)
        {
            float grad = g[i] + l2 * w[i];
            if (momentum != 0)
            {
                u[i] = momentum * u[i] + grad;
                grad = nesterov ? grad + momentum * u[i] : u[i];
            }

            w[i] -= rate * grad;
        }
    }

    private static int AdamVector<TVec>(Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float step, float correction, float beta1, float beta2, float epsilon, float l2, float decay)
        where TVec : struct, IFloatVector<TVec>
    {
        ref float pw = ref MemoryMarshal.GetReference(w);
        ref float pg = ref MemoryMarshal.GetReference(g);
        ref float pm = ref MemoryMarshal.GetReference(m);
        ref float pv = ref MemoryMarshal.GetReference(v);
        TVec b1 = TVec.Create(beta1), c1 = TVec.Create(1 - beta1), b2 = TVec.Create(beta2), c2 = TVec.Create(1 - beta2);
        TVec vl2 = TVec.Create(l2), vdecay = TVec.Create(decay), vstep = TVec.Create(step), vcorr = TVec.Create(correction), veps = TVec.Create(epsilon);
        int i = 0;
        for (; i <= w.Length - TVec.Count; i += TVec.Count)
        {
            nuint at = (nuint)i;
            TVec wi = TVec.Load(ref pw, at);
            TVec grad = TVec.Load(ref pg, at) + vl2 * wi;
            TVec mi = b1 * TVec.Load(ref pm, at) + c1 * grad;
            TVec vi = b2 * TVec.Load(ref pv, at) + c2 * grad * grad;
            TVec weight = wi - vdecay * wi;
            weight -= vstep * mi / (TVec.Sqrt(vi) * vcorr + veps);
            TVec.Store(mi, ref pm, at);
            TVec.Store(vi, ref pv, at);
            TVec.Store(weight, ref pw, at);
        }

        return i;
    }

    private static int SgdVector<TVec>(Span<float> w, ReadOnlySpan<float> g, Span<float> u, float rate, float momentum, bool nesterov, float l2)
        where TVec : struct, IFloatVector<TVec>
    {
        ref float pw = ref MemoryMarshal.GetReference(w);
        ref float pg = ref MemoryMarshal.GetReference(g);
        ref float pu = ref MemoryMarshal.GetReference(u);
        TVec vl2 = TVec.Create(l2), vmom = TVec.Create(momentum), vrate = TVec.Create(rate);
        int i = 0;
        for (; i <= w.Length - TVec.Count; i += TVec.Count)
        {
            nuint at = (nuint)i;
            TVec wi = TVec.Load(ref pw, at);
            TVec grad = TVec.Load(ref pg, at) + vl2 * wi;
            if (momentum != 0)
            {
                TVec ui = vmom * TVec.Load(ref pu, at) + grad;
                TVec.Store(ui, ref pu, at);
                grad = nesterov ? grad + vmom * ui : ui;
            }

            TVec.Store(wi - vrate * grad, ref pw, at);
        }

        return i;
    }
}
