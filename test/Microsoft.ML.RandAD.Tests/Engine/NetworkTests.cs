using Microsoft.ML.RandAD.Kernels;
using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Optim;
using Microsoft.ML.RandAD.Sketches;
using Microsoft.ML.RandAD.Tensors;
using Microsoft.ML.RandAD.Tests.Kernels;
using Microsoft.ML.RandAD.Training;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>Whole networks: gradients, allocation, reproducibility and the memory ledger.</summary>
[TestClass]
public sealed class NetworkTests
{
    public static IEnumerable<object[]> Architectures =>
    [
        ["mlp-tanh", new NetworkSpec(InputSpec.Vector(10), [new DenseSpec(8), new ActivationSpec(ActivationKind.Tanh), new DenseSpec(6), new ActivationSpec(ActivationKind.Gelu), new DenseSpec(4)], new LossSpec(LossKind.SoftmaxCrossEntropy))],
        ["mlp-relu-dropout-bn", new NetworkSpec(InputSpec.Vector(10), [new DenseSpec(9), new BatchNormSpec(), new ActivationSpec(ActivationKind.LeakyRelu), new DropoutSpec(0.25f), new DenseSpec(1)], new LossSpec(LossKind.BinaryCrossEntropy))],
        ["cnn", new NetworkSpec(InputSpec.Image(2, 8, 8), [new Conv2DSpec(4, 3, 1, 1), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new Conv2DSpec(3, 3, 1, 0), new ActivationSpec(ActivationKind.Sigmoid), new Pool2DSpec(PoolKind.Average, 2), new FlattenSpec(), new DenseSpec(3)], new LossSpec(LossKind.SoftmaxCrossEntropy))],
        ["irnn", new NetworkSpec(InputSpec.Sequence(5, 3), [new RecurrentSpec(6), new DenseSpec(2)], new LossSpec(LossKind.Huber, 0.5f))],
        ["regression", NetworkSpec.Mlp(7, [5, 5], 2, new LossSpec(LossKind.MeanSquaredError), ActivationKind.Tanh)],
        // ReLU and LeakyReLU before an exact Dense read the sign of the kept output instead of keeping a mask.
        ["mlp-relu-leaky", new NetworkSpec(InputSpec.Vector(9), [new DenseSpec(8), new ActivationSpec(ActivationKind.Relu), new DenseSpec(7), new ActivationSpec(ActivationKind.LeakyRelu, 0.2f), new DenseSpec(3)], new LossSpec(LossKind.SoftmaxCrossEntropy))],

        // A direct first convolution (patch 27) and an im2col one (patch 72, several column chunks per chunk of rows).
        ["cnn-im2col", new NetworkSpec(InputSpec.Image(3, 10, 10), [new Conv2DSpec(8, 3, 1, 1), new ActivationSpec(ActivationKind.Relu), new Conv2DSpec(6, 3, 1, 1), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(), new DenseSpec(3)], new LossSpec(LossKind.SoftmaxCrossEntropy))],

        // The CNN's layers on 8×8 images: both convolutions read their gradients through their 2×2 poolings' winners.
        ["cnn-pooled", new NetworkSpec(InputSpec.Image(1, 8, 8), [new Conv2DSpec(16, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new Conv2DSpec(32, 5, 1, 2), new ActivationSpec(ActivationKind.Relu), new Pool2DSpec(PoolKind.Max, 2), new FlattenSpec(), new DenseSpec(3)], new LossSpec(LossKind.SoftmaxCrossEntropy))],
    ];

    /// <summary>Exact backprop and RAD with each layer type's default estimator and with shared sampling.</summary>
    private static readonly RadSettings[] Sketchings =
    [
        RadSettings.Exact,
        new() { KeepFraction = 0.25f },
        new() { KeepFraction = 0.25f, Estimator = RadEstimator.SampledShared },
        new() { KeepFraction = 0.25f, Estimator = RadEstimator.SampledByMagnitude },
    ];

    [TestMethod]
    [DynamicData(nameof(Architectures))]
    public void GradientMatchesDifferencesOfTheWholeNetwork(string name, NetworkSpec spec)
    {
        const int batch = 4;
        var network = Network.Create(spec, seed: 11);
        if (name == "cnn-pooled")
        {
            Assert.IsTrue(
                ((Conv2DLayer)network.Layers[0]).TakesPooledGradient((Pool2DLayer)network.Layers[1]) &&
                ((Conv2DLayer)network.Layers[3]).TakesPooledGradient((Pool2DLayer)network.Layers[4], withInputGradient: true),
                "both convolutions read their gradients through the winners");
        }

        var random = new Random(5);
        float[] x = Enumerable.Range(0, batch * network.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int targetWidth = spec.Loss.Kind is LossKind.MeanSquaredError or LossKind.Huber ? network.OutputSize : 1;
        float[] targets = Enumerable.Range(0, batch * targetWidth).Select(_ => spec.Loss.Kind switch
        {
            LossKind.SoftmaxCrossEntropy => random.Next(network.OutputSize),
            LossKind.BinaryCrossEntropy => random.Next(2),
            _ => (float)random.NextDouble(),
        }).ToArray();
        float[] weights = Enumerable.Range(0, batch).Select(_ => (float)(0.5 + random.NextDouble())).ToArray();

        x.CopyTo(network.BeginStep(batch));
        double loss = network.ForwardBackward(targets, weights);
        double[] p = GradientCheck.ToDouble(network.Parameters);
        double[] xd = GradientCheck.ToDouble(x);
        double expected = NetworkOracle.Loss(network, xd, p, targets, weights, batch, step: 0);
        Assert.AreEqual(expected, loss, 1e-5 * Math.Max(1, Math.Abs(expected)), $"{name}: loss");

        bool[] trainable = network.Blocks.ToArray().SelectMany(b => Enumerable.Repeat(b.Spec.Trainable, b.Length)).ToArray();
        GradientCheck.CompareWithDifferences(
            network.Gradients, p, v => NetworkOracle.Loss(network, xd, v, targets, weights, batch, step: 0), random, 250, 1e-4, $"{name}: parameter gradient", trainable);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void SteadyStateTrainingAllocatesNothing(int threads)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);
        foreach ((object[] row, RadSettings sketching) in Architectures.SelectMany(r => Sketchings.Select(k => (r, k))))
        {
            var spec = (NetworkSpec)row[1];
            var network = Network.Create(spec, seed: 3);
            network.ChunkRows = 5; // several chunks per batch of 16 (one for batch-norm networks)
            network.ConfigureSketches(sketching, 16);
            var loop = new TrainingLoop(network, new TrainingSettings(new OptimizerSpec(OptimizerKind.AdamW, WeightDecay: 1e-4f), 1e-3f, 16, new CosineSchedule(100), ClipNorm: 5f));
            var source = Synthetic(network, rows: 16 * 5, spec.Loss.Kind);
            // Warm-up: buffers grow to the batch size, and every per-step method passes the JIT's tiering
            // threshold (30 calls), whose bookkeeping would otherwise be counted on this thread.
            for (int epoch = 0; epoch < 8; epoch++)
            {
                loop.RunEpoch(source, epoch);
            }


            long before = GC.GetAllocatedBytesForCurrentThread();
            source.StartEpoch(1);
            for (int step = 0; step < 5; step++)
            {
                int rows = source.NextBatch(16);
                source.FillTargets(s_targets.AsSpan(0, rows * source.TargetWidth), default);
                network.TrainStep(source, rows, s_targets.AsSpan(0, rows * source.TargetWidth));
                GradientClipping.ClipByGlobalNorm(network.Gradients, 5f);
                loop.Optimizer.Step(1e-3f);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.AreEqual(0L, allocated, $"{row[0]}, f={sketching.KeepFraction} {sketching.Estimator}: bytes allocated by 5 steady-state steps with {threads} thread(s)");
        }
    }

    private static readonly float[] s_targets = new float[1024];

    /// <summary>
    /// The retained stack is sized from the plan before the first step, so that step does not grow it block by block
    /// (the grown chunks and their merged replacement would both be alive at the process peak: 2× the activations).
    /// </summary>
    [TestMethod]
    public void TheRetainedStackIsSizedFromThePlanBeforeTheFirstStep()
    {
        foreach ((object[] row, RadSettings sketching) in Architectures.SelectMany(r => Sketchings.Select(k => (r, k))))
        {
            var spec = (NetworkSpec)row[1];
            var network = Network.Create(spec, seed: 3);
            network.ChunkRows = 5;
            long planned = network.ConfigureSketches(sketching, 16).RetainedBytes;
            var source = Synthetic(network, rows: 32, spec.Loss.Kind);
            source.StartEpoch(0);
            string what = $"{row[0]}, f={sketching.KeepFraction} {sketching.Estimator}";
            long capacity = 0;
            for (int step = 0; step < 2; step++)
            {
                int rows = source.NextBatch(16);
                source.FillTargets(s_targets.AsSpan(0, rows * source.TargetWidth), default);
                network.TrainStep(source, rows, s_targets.AsSpan(0, rows * source.TargetWidth));
                Assert.AreEqual(planned, network.Ledger.RetainedBytes, $"{what}: retained bytes");
                Assert.AreEqual(1, network.RetainedChunkCount, $"{what}: step {step + 1} needed a second chunk");
                Assert.IsTrue(step == 0 || network.RetainedCapacityBytes == capacity, $"{what}: the stack was reallocated at step 2");
                capacity = network.RetainedCapacityBytes;
            }

            int blocks = network.Layers.Sum(l => l.RetainedBlocks) * network.ChunkSizes(16).Count();
            long slack = (63L * blocks) + 64; // alignment allowance per block, and for the chunk's start
            Assert.IsTrue(capacity >= planned && capacity <= planned + slack, $"{what}: capacity {capacity} for {planned} retained bytes");
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void SameSeedAndThreadsGiveBitIdenticalWeights(int threads)
    {
        using var scope = KernelSettings.Use(KernelSettings.BestSupported, threads);
        foreach ((object[] row, RadSettings sketching) in Architectures.SelectMany(r => Sketchings.Select(k => (r, k))))
        {
            var spec = (NetworkSpec)row[1];
            float[] first = Train(spec, sketching);
            float[] second = Train(spec, sketching);
            CollectionAssert.AreEqual(first, second, $"{row[0]}, f={sketching.KeepFraction}: weights differ between two identical runs");
        }

        static float[] Train(NetworkSpec spec, RadSettings sketching)
        {
            var network = Network.Create(spec, seed: 21);
            network.ConfigureSketches(sketching, 8);
            var loop = new TrainingLoop(network, new TrainingSettings(new OptimizerSpec(), 1e-2f, 8));
            var source = Synthetic(network, rows: 40, spec.Loss.Kind);
            for (int epoch = 0; epoch < 3; epoch++)
            {
                loop.RunEpoch(source, epoch);
            }

            return network.Parameters;
        }
    }

    /// <summary>Kernels split work so that no result depends on how many threads run it.</summary>
    [TestMethod]
    public void OneAndTwoThreadsGiveBitIdenticalWeights()
    {
        foreach ((object[] row, RadSettings sketching) in Architectures.SelectMany(r => Sketchings.Select(k => (r, k))))
        {
            var spec = (NetworkSpec)row[1];
            float[] one, two;
            using (KernelSettings.Use(KernelSettings.BestSupported, 1))
            {
                one = Train(spec, sketching);
            }

            using (KernelSettings.Use(KernelSettings.BestSupported, 2))
            {
                two = Train(spec, sketching);
            }

            CollectionAssert.AreEqual(one, two, $"{row[0]}, f={sketching.KeepFraction} {sketching.Estimator}: weights differ between 1 and 2 threads");
        }

        static float[] Train(NetworkSpec spec, RadSettings sketching)
        {
            var network = Network.Create(spec, seed: 5);
            network.ConfigureSketches(sketching, 32);
            var loop = new TrainingLoop(network, new TrainingSettings(new OptimizerSpec(), 1e-2f, 32));
            var source = Synthetic(network, rows: 96, spec.Loss.Kind);
            for (int epoch = 0; epoch < 2; epoch++)
            {
                loop.RunEpoch(source, epoch);
            }

            return network.Parameters;
        }
    }

    /// <summary>Running a batch as chunks of rows changes only the summation order of the gradient.</summary>
    [TestMethod]
    [DynamicData(nameof(Architectures))]
    public void ChunkedStepsComputeTheSameGradient(string name, NetworkSpec spec)
    {
        const int batch = 23;
        var random = new Random(3);
        var whole = Network.Create(spec, seed: 5);
        var chunked = Network.Create(spec, seed: 5);
        chunked.ChunkRows = 4;
        float[] x = Enumerable.Range(0, batch * whole.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int width = spec.Loss.Kind is LossKind.MeanSquaredError or LossKind.Huber ? whole.OutputSize : 1;
        float[] targets = Enumerable.Range(0, batch * width).Select(_ => (float)(spec.Loss.Kind == LossKind.SoftmaxCrossEntropy ? random.Next(whole.OutputSize) : random.Next(2))).ToArray();
        float[] weights = Enumerable.Range(0, batch).Select(_ => (float)(0.5 + random.NextDouble())).ToArray();

        x.CopyTo(whole.BeginStep(batch));
        double expected = whole.ForwardBackward(targets, weights);
        x.CopyTo(chunked.BeginStep(batch));
        double actual = chunked.ForwardBackward(targets, weights);

        Assert.AreEqual(expected, actual, 1e-6 * Math.Max(1, Math.Abs(expected)), $"{name}: loss");
        GradientCheck.AssertClose(chunked.Gradients, GradientCheck.ToDouble(whole.Gradients), 1e-5, $"{name}: gradient");
        long planned = chunked.ConfigureSketches(RadSettings.Exact, batch).RetainedBytes;
        Assert.AreEqual(planned, chunked.Ledger.RetainedBytes, $"{name}: the planner predicts the chunked ledger");
    }

    /// <summary>
    /// Automatic chunks count the rows of the buffers a step writes: the CNN's batch of 128 is one chunk, its first convolution's
    /// output (12,544 floats a row, which fused pooling never writes) left out. With pooling unfused between steps that output
    /// is written, and the chunks follow (the same buffers: 64 rows of 12,544 floats are 128 of 6,272), then with 128-row
    /// chunks asked for, the buffers grow: each time the same gradient as a network unfused from the start.
    /// </summary>
    [TestMethod]
    public void AutomaticChunksFollowTheBuffersAStepWrites()
    {
        NetworkSpec spec = TestNetworks.FashionCnn;
        const int batch = 128;
        var random = new Random(4);
        float[] x = [.. Enumerable.Range(0, batch * 784).Select(_ => (float)random.NextDouble())];
        float[] y = [.. Enumerable.Range(0, batch).Select(_ => (float)random.Next(10))];
        Network network = Network.Create(spec, seed: 2), unfused = Network.Create(spec, seed: 2);
        unfused.FusesPooling = false;

        // Widest written: the second pooling's input gradient, 14×14×32 = 6,272 floats a row: 4 MB hold 167 rows.
        CollectionAssert.AreEqual(new[] { batch }, network.ChunkSizes(batch).ToArray(), "fused: one chunk");
        x.CopyTo(network.BeginStep(batch));
        network.ForwardBackward(y);

        // Unfused, the first convolution's output and the first pooling's input gradient are written: 83 rows, so 64.
        network.FusesPooling = false;
        CollectionAssert.AreEqual(new[] { 64, 64 }, network.ChunkSizes(batch).ToArray(), "unfused: two chunks");
        CollectionAssert.AreEqual(new[] { 64, 64 }, unfused.ChunkSizes(batch).ToArray());
        AssertSameStep("after the switch");
        long twoChunks = network.TransientBytes;

        network.ChunkRows = unfused.ChunkRows = batch;
        AssertSameStep("in one chunk of 128 rows");
        Assert.IsGreaterThan(twoChunks, network.TransientBytes, "the buffers grew for the rows");

        void AssertSameStep(string what)
        {
            x.CopyTo(network.BeginStep(batch));
            double loss = network.ForwardBackward(y);
            x.CopyTo(unfused.BeginStep(batch));
            Assert.AreEqual(unfused.ForwardBackward(y), loss, 0, $"loss {what}");
            KernelTestCases.AssertBitEqual(unfused.Gradients, network.Gradients, $"gradients {what}");
        }
    }

    [TestMethod]
    public void DifferentSeedsGiveDifferentWeights()
    {
        var spec = NetworkSpec.Mlp(5, [4], 3, new LossSpec(LossKind.SoftmaxCrossEntropy));
        CollectionAssert.AreNotEqual(Network.Create(spec, 1).Parameters, Network.Create(spec, 2).Parameters);
    }

    /// <summary>
    /// Exact: each Dense keeps its input in fp32 and a ReLU keeps nothing (its backward pass reads the sign of the
    /// output the next Dense keeps). RAD per row, f = 0.5: each Dense keeps ⌈D/2⌉ floats per row plus a 16-byte
    /// seal, and each ReLU a 1-bit mask (64-bit words).
    /// </summary>
    [TestMethod]
    [DataRow(128, 1f)]
    [DataRow(150, 1f)]
    [DataRow(7, 1f)]
    [DataRow(150, 0.5f)]
    [DataRow(7, 0.5f)]
    public void LedgerCountsTheAnalyticRetainedBytesOfAnMlp(int batch, float keep)
    {
        var network = Network.Create(NetworkSpec.Mlp(784, [256, 256], 10, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 1);
        network.ConfigureSketches(new RadSettings { KeepFraction = keep, Estimator = RadEstimator.SampledPerRow }, batch);
        network.BeginStep(batch).Fill(0.5f);
        network.ForwardBackward(new float[batch]);
        MemoryLedger ledger = network.Ledger;

        long mask = 8L * ((batch * 256 + 63) / 64);
        long[] expected = keep == 1f
            ? [4L * batch * 784, 0, 4L * batch * 256, 0, 4L * batch * 256]
            : [4L * batch * 392 + 16, mask, 4L * batch * 128 + 16, mask, 4L * batch * 128 + 16];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], ledger.LayerRetainedBytes(i), $"layer {ledger.LayerNames[i]}, f={keep}");
        }

        Assert.AreEqual(expected.Sum(), ledger.RetainedBytes);
        Assert.AreEqual(4L * (784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10), ledger.ParameterBytes);
        Assert.IsTrue(ledger.PeakRetainedBytes >= ledger.RetainedBytes);
    }

    [TestMethod]
    [DataRow(1f)]
    [DataRow(0.3f)]
    public void TrainingLearnsASeparableProblem(float keepFraction)
    {
        // Two Gaussian blobs per class in 2-D, 3 classes: an MLP must fit them almost perfectly.
        var random = new Random(9);
        int rows = 600;
        float[] x = new float[rows * 2], y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            int c = i % 3;
            y[i] = c;
            x[2 * i] = (float)(Math.Cos(2 * Math.PI * c / 3) * 2 + random.NextDouble() - 0.5);
            x[2 * i + 1] = (float)(Math.Sin(2 * Math.PI * c / 3) * 2 + random.NextDouble() - 0.5);
        }

        var network = Network.Create(NetworkSpec.Mlp(2, [16], 3, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 4);
        network.ConfigureSketches(new RadSettings { KeepFraction = keepFraction }, 32);
        var loop = new TrainingLoop(network, new TrainingSettings(new OptimizerSpec(), 1e-2f, 32));
        var source = new InMemoryMinibatchSource(x, y, null, 2, seed: 1);
        EpochReport report = null!;
        for (int epoch = 0; epoch < 20; epoch++)
        {
            report = loop.RunEpoch(source, epoch);
        }

        Assert.IsTrue(report.TrainLoss < 0.05, $"final loss {report.TrainLoss}");
        float[] logits = new float[rows * 3];
        network.CreateScorer().Score(x, rows, logits);
        int correct = Enumerable.Range(0, rows).Count(i => logits.AsSpan(3 * i, 3).IndexOf(logits.AsSpan(3 * i, 3).ToArray().Max()) == (int)y[i]);
        Assert.IsTrue(correct >= rows * 0.99, $"accuracy {correct}/{rows}");
    }

    [TestMethod]
    public void DivergenceStopsWithAnErrorThatSaysWhatToChange()
    {
        float[] x = Enumerable.Range(0, 64).Select(i => (float)(i * 1e3)).ToArray();
        float[] y = Enumerable.Range(0, 32).Select(i => (float)(i * 1e6)).ToArray();
        var network = Network.Create(NetworkSpec.Mlp(2, [8], 1, new LossSpec(LossKind.MeanSquaredError)), seed: 1);
        var loop = new TrainingLoop(network, new TrainingSettings(new OptimizerSpec(OptimizerKind.Sgd, Momentum: 0), 10f, 8));
        var error = Assert.ThrowsExactly<TrainingDivergedException>(() =>
        {
            for (int epoch = 0; epoch < 50; epoch++)
            {
                loop.RunEpoch(new InMemoryMinibatchSource(x, y, null, 2), epoch);
            }
        });
        StringAssert.Contains(error.Message, "learning rate");
    }

    [TestMethod]
    public void CancellationStopsBeforeTheNextStep()
    {
        var network = Network.Create(NetworkSpec.Mlp(4, [4], 2, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 1);
        var loop = new TrainingLoop(network, new TrainingSettings(new OptimizerSpec(), 1e-3f, 4));
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => loop.RunEpoch(new InMemoryMinibatchSource(new float[16], new float[4], null, 4), 0, cancel.Token));
        Assert.AreEqual(0L, loop.Optimizer.Steps);
    }

    [TestMethod]
    public void SpecRoundTripsThroughJson()
    {
        foreach (object[] row in Architectures)
        {
            var spec = (NetworkSpec)row[1];
            Assert.AreEqual(spec, NetworkSpec.FromJson(spec.ToJson()), $"{row[0]}");
        }
    }

    private static InMemoryMinibatchSource Synthetic(Network network, int rows, LossKind kind)
    {
        var random = new Random(2);
        float[] x = Enumerable.Range(0, rows * network.InputSize).Select(_ => (float)random.NextDouble()).ToArray();
        int width = kind is LossKind.MeanSquaredError or LossKind.Huber ? network.OutputSize : 1;
        float[] y = Enumerable.Range(0, rows * width).Select(_ => kind switch
        {
            LossKind.SoftmaxCrossEntropy => random.Next(network.OutputSize),
            LossKind.BinaryCrossEntropy => random.Next(2),
            _ => (float)random.NextDouble(),
        }).ToArray();
        return new InMemoryMinibatchSource(x, y, null, network.InputSize, width, seed: 8);
    }
}
