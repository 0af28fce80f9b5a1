namespace Microsoft.ML.RandAD.Sketches;

/// <summary>The number of entries a sketch keeps: k = ⌈f·D⌉, at least 1.</summary>
internal static class KeepFraction
{
    /// <summary>
    /// ⌈f·D⌉ computed on f·D rounded to 6 decimals first, because f arrives as a float: 0.1f·300 is
    /// 30.0000004, whose ceiling would keep 31 instead of 30.
    /// </summary>
    public static int Count(float fraction, int size) =>
        Math.Clamp((int)Math.Ceiling(Math.Round((double)fraction * size, 6)), 1, size);

    /// <summary>
    /// Draws per row of magnitude sampling (<see cref="Kernels.MagnitudeSampling"/>) for keep fraction <paramref name="fraction"/>:
    /// the most whose codes (indices and sign bits) and ‖x‖₁ fit in the 4·⌈f·D⌉ bytes uniform sampling keeps; at least 1.
    /// </summary>
    public static int MagnitudeDraws(float fraction, int size)
    {
        long budget = 4L * Count(fraction, size);
        int width = Kernels.MagnitudeSampling.IndexBytes(size);
        long draws = Math.Max(1, (budget - 4) * 8 / ((8 * width) + 1));
        while (draws > 1 && 4 + Kernels.MagnitudeSampling.CodeBytes((int)draws, size) > budget)
        {
            draws--;
        }

        return (int)draws;
    }

    /// <summary>Whether magnitude sampling's norm and codes fit in the bytes of uniform sampling's ⌈f·D⌉ floats (not when f·D ≤ 1).</summary>
    public static bool MagnitudeFits(float fraction, int size) =>
        4 + Kernels.MagnitudeSampling.CodeBytes(MagnitudeDraws(fraction, size), size) <= 4L * Count(fraction, size);

    public static string Describe(float fraction) => $"f={fraction:0.###}";
}
