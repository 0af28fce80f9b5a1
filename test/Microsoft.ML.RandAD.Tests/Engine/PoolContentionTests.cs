using System.Reflection;
using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Tests.Kernels;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// The worker pool serves one call at a time; a call that finds it taken (another trainer or scorer in the process) runs
/// its parts on its own thread, and the kernels inside those parts then split their work again as the calling thread sees
/// fit. A step must not depend on that: the same gradients to the bit whether the pool was free or held by another thread
/// for the whole step (two threads, the batch in one chunk and in several; the CNN's direct convolutions, a strided one
/// through im2col and GEMM, the MLP's products). A mutation that drops every other part only when the pool is taken fails
/// every case, so the held pool is really what these steps meet.
/// </summary>
[TestClass]
[DoNotParallelize] // KernelSettings and the pool are process-wide.
public sealed class PoolContentionTests
{
    private static readonly Dictionary<string, NetworkSpec> Specs = new()
    {
        ["cnn"] = TestNetworks.FashionCnn,
        // A second convolution of stride 2: its input gradient through im2col and GEMM, each chunk of images a part with a GEMM inside.
        ["strided"] = new NetworkSpec(
            InputSpec.Image(3, 16, 16),
            [new Conv2DSpec(8, 3, 1, 1), new ActivationSpec(ActivationKind.Relu), new Conv2DSpec(16, 3, 2, 1), new ActivationSpec(ActivationKind.Relu),
             new FlattenSpec(), new DenseSpec(10)],
            new LossSpec(LossKind.SoftmaxCrossEntropy)),
        ["mlp"] = NetworkSpec.Mlp(784, [256, 256], 10, new LossSpec(LossKind.SoftmaxCrossEntropy), ActivationKind.Relu),
    };

    [TestMethod]
    [DataRow("cnn", 0)]
    [DataRow("cnn", 16)]
    [DataRow("strided", 0)]
    [DataRow("strided", 16)]
    [DataRow("mlp", 0)]
    [DataRow("mlp", 16)]
    public void AStepGivesTheSameGradientsWhetherOrNotThePoolIsFree(string name, int chunkRows)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, 2);
        (double freeLoss, float[] free) = Step(Specs[name], chunkRows, poolTaken: false);
        (double takenLoss, float[] taken) = Step(Specs[name], chunkRows, poolTaken: true);
        Assert.AreEqual(freeLoss, takenLoss, 0, "loss");
        KernelTestCases.AssertBitEqual(free, taken, "gradients");
        Assert.IsTrue(free.Any(g => g != 0), "the gradients are not all zero");
    }

    private static (double Loss, float[] Gradients) Step(NetworkSpec spec, int chunkRows, bool poolTaken)
    {
        Network network = Network.Create(spec, 13);
        network.ChunkRows = chunkRows;
        const int batch = 40;
        var random = new Random(5);
        float[] x = [.. Enumerable.Range(0, batch * network.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        float[] y = [.. Enumerable.Range(0, batch).Select(_ => (float)random.Next(10))];
        x.CopyTo(network.BeginStep(batch));

        // The pool's gate, held by another thread for the whole step.
        object gate = typeof(WorkerPool).GetField("s_gate", BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null)
            ?? throw new InvalidOperationException("WorkerPool has no s_gate field: update this test to the pool's lock.");
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Thread? holder = null;
        if (poolTaken)
        {
            holder = new Thread(() =>
            {
                lock (gate)
                {
                    held.Set();
                    release.Wait();
                }
            });
            holder.Start();
            held.Wait();
        }

        try
        {
            return (network.ForwardBackward(y), [.. network.Gradients]);
        }
        finally
        {
            release.Set();
            holder?.Join();
        }
    }
}
