using System.Globalization;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>
/// The <c>--name value</c> options of the paired verbs (<c>gemm-paired</c>, <c>conv-paired</c>, <c>score-paired</c>): each
/// verb names the options it takes, and an unknown one prints them and ends the verb.
/// </summary>
internal sealed class VerbOptions
{
    private readonly Dictionary<string, string> _values;

    private VerbOptions(Dictionary<string, string> values) => _values = values;

    /// <summary>The options in <paramref name="args"/>, or null (after printing <paramref name="usage"/>) if one is not in <paramref name="names"/>.</summary>
    public static VerbOptions? Parse(string[] args, string usage, params string[] names)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!names.Contains(args[i]))
            {
                Console.WriteLine($"unknown option {args[i]} ({usage})");
                return null;
            }

            values[args[i]] = args[i + 1];
        }

        return new VerbOptions(values);
    }

    public int Int(string name, int fallback) => _values.TryGetValue(name, out string? value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public bool Bool(string name, bool fallback = false) => _values.TryGetValue(name, out string? value) ? bool.Parse(value) : fallback;

    /// <summary>A comma-separated list.</summary>
    public string[] List(string name, string[] fallback) => _values.TryGetValue(name, out string? value) ? value.Split(',') : fallback;

    /// <summary>A comma-separated list of integers.</summary>
    public int[] Ints(string name, int[] fallback) =>
        _values.TryGetValue(name, out string? value) ? [.. value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture))] : fallback;
}
