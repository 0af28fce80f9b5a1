using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// The Box–Muller transform of <see cref="CounterRng.Gaussian"/>, defined by its own single-precision log and sine/cosine
/// so that it vectorizes yet gives bit-identical results on every path: both twins below perform the same IEEE
/// operations (add, multiply, fused multiply-add, square root, integer moves) in the same order.
/// </summary>
/// <remarks>
/// From words a and b: <c>u1 = ((a &gt;&gt; 8) + 1)·2^-24</c> in (0, 1]; <c>r = σ·sqrt(−2 ln u1)</c>. The angle is
/// <c>2π·u2</c> with <c>u2 = (b &gt;&gt; 8)·2^-24</c>; it is reduced exactly in integers to a quadrant q and an offset
/// φ in [−π/4, π/4]. ln uses the Cephes logf polynomial (mantissa in [√½, √2)); sin/cos of φ use the Cephes sinf/cosf
/// polynomials. Error against double-precision Box–Muller is a few ulps of r (tested), far below sampling noise.
/// </remarks>
internal static class BoxMuller
{
    private const float SqrtHalf = 0.707106781186547524f;
    private const float Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f;
    private const float L0 = 7.0376836292E-2f, L1 = -1.1514610310E-1f, L2 = 1.1676998740E-1f, L3 = -1.2420140846E-1f, L4 = 1.4249322787E-1f,
        L5 = -1.6668057665E-1f, L6 = 2.0000714765E-1f, L7 = -2.4999993993E-1f, L8 = 3.3333331174E-1f;
    private const float S0 = -1.9515295891E-4f, S1 = 8.3321608736E-3f, S2 = -1.6666654611E-1f;
    private const float C0 = 2.443315711809948E-005f, C1 = -1.388731625493765E-003f, C2 = 4.166664568298827E-002f;

    // φ = (offset in 2^-22 quarter turns)·(π/2)·2^-22, one rounding.
    private const float QuarterTurnStep = (float)(Math.PI / 2 / (1 << 22));

    /// <summary>The scalar twin: outputs <c>r·cos θ</c> and <c>r·sin θ</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pair(uint a, uint b, float standardDeviation, out float cosine, out float sine)
    {
        // ln u1, u1 = m·2^e with m in [0.5, 1) from the float's bits (u1 ≥ 2^-24 is normal).
        uint bits = BitConverter.SingleToUInt32Bits(((a >> 8) + 1) * VectorWidth.UnitStep);
        float m = BitConverter.UInt32BitsToSingle((bits & 0x007F_FFFFu) | 0x3F00_0000u);
        int e = (int)(bits >> 23) - 126;
        bool low = m < SqrtHalf;
        e -= low ? 1 : 0;
        float x = (low ? m + m : m) - 1f;
        float z = x * x;
        float p = MathF.FusedMultiplyAdd(L0, x, L1);
        p = MathF.FusedMultiplyAdd(p, x, L2);
        p = MathF.FusedMultiplyAdd(p, x, L3);
        p = MathF.FusedMultiplyAdd(p, x, L4);
        p = MathF.FusedMultiplyAdd(p, x, L5);
        p = MathF.FusedMultiplyAdd(p, x, L6);
        p = MathF.FusedMultiplyAdd(p, x, L7);
        p = MathF.FusedMultiplyAdd(p, x, L8);
        float fe = e;
        float y = p * x * z;
        y = MathF.FusedMultiplyAdd(fe, Ln2Low, y);
        y = MathF.FusedMultiplyAdd(z, -0.5f, y);
        float ln = MathF.FusedMultiplyAdd(fe, Ln2High, x + y);
        float r = MathF.Sqrt(-2f * ln) * standardDeviation;

        // θ = 2π·k·2^-24 = (q + f)·π/2 with q = round(k / 2^22), f·2^22 = k − q·2^22 in [−2^21, 2^21]: exact integers.
        uint k = b >> 8;
        uint q = (k + (1u << 21)) >> 22;
        float phi = (int)(k - (q << 22)) * QuarterTurnStep;
        float zz = phi * phi;
        float s = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(S0, zz, S1), zz, S2) * zz, phi, phi);
        float c = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C0, zz, C1), zz, C2) * zz, zz, MathF.FusedMultiplyAdd(zz, -0.5f, 1f));

        // Quadrant: odd q swaps sin and cos; sin is negated for q = 2, 3, cos for q = 1, 2 (sign-bit flips, exact).
        bool swap = (q & 1) != 0;
        uint sinBits = BitConverter.SingleToUInt32Bits(swap ? c : s) ^ ((q & 2) << 30);
        uint cosBits = BitConverter.SingleToUInt32Bits(swap ? s : c) ^ (((q + 1) & 2) << 30);
        cosine = r * BitConverter.UInt32BitsToSingle(cosBits);
        sine = r * BitConverter.UInt32BitsToSingle(sinBits);
    }

    /// <summary>The vector twin of <see cref="Pair(uint, uint, float, out float, out float)"/>, lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Pair<TW, TU, TF>(TU a, TU b, TF standardDeviation, out TF cosine, out TF sine)
        where TW : IVectorWidth<TU, TF>
        where TU : unmanaged
        where TF : unmanaged
    {
        TU one = TW.Broadcast(1);
        TU bits = TW.AsUInt32(TW.MultiplySingle(TW.ConvertToSingle(TW.Add(TW.ShiftRightLogical(a, 8), one)), TW.BroadcastSingle(VectorWidth.UnitStep)));
        TF m = TW.AsSingle(TW.Or(TW.And(bits, TW.Broadcast(0x007F_FFFFu)), TW.Broadcast(0x3F00_0000u)));
        TU e = TW.Subtract(TW.ShiftRightLogical(bits, 23), TW.Broadcast(126));
        TU low = TW.LessThanSingle(m, TW.BroadcastSingle(SqrtHalf));
        e = TW.Add(e, low); // low lanes are all ones = −1
        TF x = TW.SubtractSingle(TW.Select(low, TW.AddSingle(m, m), m), TW.BroadcastSingle(1f));
        TF z = TW.MultiplySingle(x, x);
        TF p = TW.FusedMultiplyAdd(TW.BroadcastSingle(L0), x, TW.BroadcastSingle(L1));
        p = TW.FusedMultiplyAdd(p, x, TW.BroadcastSingle(L2));
        p = TW.FusedMultiplyAdd(p, x, TW.BroadcastSingle(L3));
        p = TW.FusedMultiplyAdd(p, x, TW.BroadcastSingle(L4));
        p = TW.FusedMultiplyAdd(p, x, TW.BroadcastSingle(L5));
        p = TW.FusedMultiplyAdd(p, x, TW.BroadcastSingle(L6));
        p = TW.FusedMultiplyAdd(p, x, TW.BroadcastSingle(L7));
        p = TW.FusedMultiplyAdd(p, x, TW.BroadcastSingle(L8));
        TF fe = TW.ConvertToSingle(e);
        TF y = TW.MultiplySingle(TW.MultiplySingle(p, x), z);
        y = TW.FusedMultiplyAdd(fe, TW.BroadcastSingle(Ln2Low), y);
        y = TW.FusedMultiplyAdd(z, TW.BroadcastSingle(-0.5f), y);
        TF ln = TW.FusedMultiplyAdd(fe, TW.BroadcastSingle(Ln2High), TW.AddSingle(x, y));
        TF r = TW.MultiplySingle(TW.Sqrt(TW.MultiplySingle(TW.BroadcastSingle(-2f), ln)), standardDeviation);

        TU k = TW.ShiftRightLogical(b, 8);
        TU q = TW.ShiftRightLogical(TW.Add(k, TW.Broadcast(1u << 21)), 22);
        TF phi = TW.MultiplySingle(TW.ConvertToSingle(TW.Subtract(k, TW.ShiftLeft(q, 22))), TW.BroadcastSingle(QuarterTurnStep));
        TF zz = TW.MultiplySingle(phi, phi);
        TF ps = TW.FusedMultiplyAdd(TW.FusedMultiplyAdd(TW.BroadcastSingle(S0), zz, TW.BroadcastSingle(S1)), zz, TW.BroadcastSingle(S2));
        TF s = TW.FusedMultiplyAdd(TW.MultiplySingle(ps, zz), phi, phi);
        TF pc = TW.FusedMultiplyAdd(TW.FusedMultiplyAdd(TW.BroadcastSingle(C0), zz, TW.BroadcastSingle(C1)), zz, TW.BroadcastSingle(C2));
        TF c = TW.FusedMultiplyAdd(TW.MultiplySingle(pc, zz), zz, TW.FusedMultiplyAdd(zz, TW.BroadcastSingle(-0.5f), TW.BroadcastSingle(1f)));

        TU swap = TW.EqualsZero(TW.EqualsZero(TW.And(q, one)));
        TU sinBits = TW.Xor(TW.AsUInt32(TW.Select(swap, c, s)), TW.ShiftLeft(TW.And(q, TW.Broadcast(2)), 30));
        TU cosBits = TW.Xor(TW.AsUInt32(TW.Select(swap, s, c)), TW.ShiftLeft(TW.And(TW.Add(q, one), TW.Broadcast(2)), 30));
        cosine = TW.MultiplySingle(r, TW.AsSingle(cosBits));
        sine = TW.MultiplySingle(r, TW.AsSingle(sinBits));
    }
}
