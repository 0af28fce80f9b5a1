using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;

namespace Microsoft.ML.RandAD.Model;

/// <summary>Lays every layer's parameters out in one flat array and initializes them from the seed.</summary>
internal static class ParameterLayout
{
    // Random stream of parameter p of layer l: (l << 8) | p, above the training streams' range.
    private const ulong InitStreamBase = 1UL << 48;

    public static int Count(IEnumerable<Layer> layers)
    {
        long total = 0;
        foreach (Layer layer in layers)
        {
            foreach (ParameterSpec spec in layer.Parameters)
            {
                total += spec.Length;
            }
        }

        return total <= Array.MaxLength ? (int)total : throw new ArgumentException($"The network has {total:N0} parameters, more than one array holds.");
    }

    public static ParameterBlock[] Bind(IReadOnlyList<Layer> layers, float[] values, float[] gradients)
    {
        var all = new List<ParameterBlock>();
        int offset = 0;
        foreach (Layer layer in layers)
        {
            var blocks = new ParameterBlock[layer.Parameters.Count];
            for (int p = 0; p < blocks.Length; p++)
            {
                ParameterSpec spec = layer.Parameters[p];
                blocks[p] = new ParameterBlock(spec, values, gradients, offset);
                offset += spec.Length;
            }

            layer.Bind(blocks);
            all.AddRange(blocks);
        }

        return [.. all];
    }

    public static void Initialize(ReadOnlySpan<ParameterBlock> blocks, ulong seed)
    {
        for (int b = 0; b < blocks.Length; b++)
        {
            ParameterBlock block = blocks[b];
            ParameterSpec spec = block.Spec;
            Span<float> values = block.Values;
            ulong stream = InitStreamBase + (ulong)b;
            switch (spec.Init)
            {
                case Initializer.Zeros:
                    values.Clear();
                    break;
                case Initializer.Ones:
                    values.Fill(1f);
                    break;
                case Initializer.HeNormal:
                    CounterRng.Gaussian(seed, stream, 0, MathF.Sqrt(2f / spec.FanIn), values);
                    break;
                case Initializer.XavierUniform:
                    float limit = MathF.Sqrt(6f / (spec.FanIn + spec.FanOut));
                    FillUniform(seed, stream, -limit, limit, values);
                    break;
                case Initializer.Identity:
                    int n = spec.Dimensions[0];
                    values.Clear();
                    for (int i = 0; i < n; i++)
                    {
                        values[i * n + i] = 1f;
                    }

                    break;
                default:
                    throw new InvalidOperationException($"Unknown initializer {spec.Init}.");
            }
        }
    }

    /// <summary>Uniform on [low, high) from 24-bit fractions of the counter-based generator's words.</summary>
    private static void FillUniform(ulong seed, ulong stream, float low, float high, Span<float> values)
    {
        uint[] words = new uint[values.Length];
        CounterRng.FillUInt32(seed, stream, 0, words);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = low + (high - low) * ((words[i] >> 8) * (1f / 16777216f));
        }
    }
}
