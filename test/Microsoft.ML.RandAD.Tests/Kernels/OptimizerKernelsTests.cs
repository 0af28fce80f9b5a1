using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
[DoNotParallelize]
public sealed class OptimizerKernelsTests
{
    public static IEnumerable<object[]> Lengths() => KernelTestCases.EdgeLengths.Concat([40_000, 100_003]).Select(n => new object[] { n });

    [TestMethod]
    [DynamicData(nameof(Lengths))]
    public void AdamMatchesItsFormulaBitForBitOnEveryPath(int length)
    {
        foreach ((float l2, float decay) in new[] { (0f, 0f), (1e-4f, 0f), (0f, 1e-5f) })
        {
            (float[] w, float[] g, float[] m, float[] v) = State(length, seed: length + 1);
            float[] ew = (float[])w.Clone(), em = (float[])m.Clone(), ev = (float[])v.Clone();
            for (int i = 0; i < length; i++)
            {
                float grad = g[i] + (l2 * ew[i]);
                em[i] = (0.9f * em[i]) + ((1 - 0.9f) * grad);
                ev[i] = (0.999f * ev[i]) + ((1 - 0.999f) * grad * grad);
                float weight = ew[i] - (decay * ew[i]);
                ew[i] = weight - (1.5e-3f * em[i] / ((MathF.Sqrt(ev[i]) * 1.2f) + 1e-8f));
            }

            KernelTestCases.ForEachPath((path, threads) =>
            {
                float[] aw = (float[])w.Clone(), am = (float[])m.Clone(), av = (float[])v.Clone();
                OptimizerKernels.Adam(aw, g, am, av, 1.5e-3f, 1.2f, 0.9f, 0.999f, 1e-8f, l2, decay);
                KernelTestCases.AssertBitEqual(ew, aw, $"Adam weights, n={length}, l2={l2}, decay={decay}");
                KernelTestCases.AssertBitEqual(em, am, $"Adam first moment, n={length}");
                KernelTestCases.AssertBitEqual(ev, av, $"Adam second moment, n={length}");
            });
        }
    }

    [TestMethod]
    [DynamicData(nameof(Lengths))]
    public void SgdMatchesItsFormulaBitForBitOnEveryPath(int length)
    {
        foreach ((float momentum, bool nesterov, float l2) in new[] { (0f, false, 0f), (0.9f, false, 0f), (0.9f, true, 1e-4f) })
        {
            (float[] w, float[] g, float[] u, _) = State(length, seed: length + 2);
            float[] ew = (float[])w.Clone(), eu = (float[])u.Clone();
            for (int i = 0; i < length; i++)
            {
                float grad = g[i] + (l2 * ew[i]);
                if (momentum != 0)
                {
                    eu[i] = (momentum * eu[i]) + grad;
                    grad = nesterov ? grad + (momentum * eu[i]) : eu[i];
                }

                ew[i] -= 0.01f * grad;
            }

            KernelTestCases.ForEachPath((path, threads) =>
            {
                float[] aw = (float[])w.Clone(), au = (float[])u.Clone();
                OptimizerKernels.Sgd(aw, g, momentum == 0 ? default : au, 0.01f, momentum, nesterov, l2);
                KernelTestCases.AssertBitEqual(ew, aw, $"SGD weights, n={length}, momentum={momentum}, nesterov={nesterov}");
                if (momentum != 0)
                {
                    KernelTestCases.AssertBitEqual(eu, au, $"SGD velocity, n={length}");
                }
            });
        }
    }

    private static (float[] W, float[] G, float[] M, float[] V) State(int length, int seed)
    {
        float[] w = KernelTestCases.RandomFloats(length, seed);
        float[] g = KernelTestCases.RandomFloats(length, seed + 1);
        float[] m = KernelTestCases.RandomFloats(length, seed + 2);
        float[] v = [.. KernelTestCases.RandomFloats(length, seed + 3).Select(MathF.Abs)];
        for (int i = 0; i < length; i += 7)
        {
            g[i] *= 1e-3f; // small gradients, as late in training
        }

        return (w, g, m, v);
    }
}
