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
                em[i] = Flush((0.9f * em[i]) + ((1 - 0.9f) * grad));
                ev[i] = Flush((0.999f * ev[i]) + ((1 - 0.999f) * grad * grad));
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
                    eu[i] = Flush((momentum * eu[i]) + grad);
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

    [TestMethod]
    public void StateThatDecaysBelowTheNormalRangeIsStoredAsZero()
    {
        // Zero gradients: the moments decay by β each step; once subnormal they would slow every later update.
        float[] tiny = [1.3e-38f, -1.3e-38f, 1e-39f, -1e-45f, float.NaN, 2e-38f, 1f, -0f];
        KernelTestCases.ForEachPath((path, threads) =>
        {
            float[] w = new float[tiny.Length], g = new float[tiny.Length], m = (float[])tiny.Clone(), v = [.. tiny.Select(MathF.Abs)];
            OptimizerKernels.Adam(w, g, m, v, 1e-3f, 1f, 0.9f, 0.999f, 1e-8f, 0f, 0f);
            float[] u = (float[])tiny.Clone();
            OptimizerKernels.Sgd(new float[tiny.Length], g, u, 0.01f, 0.9f, false, 0f);
            foreach (float[] state in new[] { m, v, u })
            {
                Assert.IsFalse(state.Any(float.IsSubnormal), $"subnormal state left: {string.Join(", ", state)}");
                Assert.IsTrue(float.IsNaN(state[4]), "NaN must stay NaN");
                Assert.AreNotEqual(0f, state[5] * 1e30f, "a normal value that stays normal is kept");
            }
        });
    }

    /// <summary>The kernels' rule: state below 2^-126 in magnitude is stored as 0.</summary>
    private static float Flush(float x) => MathF.Abs(x) < 1.17549435E-38f ? 0f : x;

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

        for (int i = 3; i < length; i += 11)
        {
            g[i] = 0f; // dead inputs: state near the bottom of the normal range decays below it
            m[i] = i % 2 == 0 ? 1.25e-38f : -1.25e-38f;
            v[i] = 1.2e-38f;
        }

        return (w, g, m, v);
    }
}
