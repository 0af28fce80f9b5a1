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

    public static string Describe(float fraction) => $"f={fraction:0.###}";
}
