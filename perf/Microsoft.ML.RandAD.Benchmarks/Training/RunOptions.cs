using System.Globalization;
using Microsoft.ML.RandAD.Sketches;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>Command-line options of the <c>train</c> and <c>step</c> verbs.</summary>
internal sealed record RunOptions
{
    public string Model { get; init; } = "mlp";

    public int Epochs { get; init; } = 5;

    public int Batch { get; init; } = 128;

    public int Threads { get; init; } = Environment.ProcessorCount;

    public int Seed { get; init; } = 1;

    public int Rows { get; init; }

    public int ChunkRows { get; init; }

    public bool Synthetic { get; init; }

    /// <summary>step-flops: also print each layer's forward and backward time, the loss's and the optimizer's.</summary>
    public bool Profile { get; init; }

    /// <summary>step-compare: compare the two pooling orders of an exact network instead of RAD against exact.</summary>
    public bool PoolOrder { get; init; }

    /// <summary>step-compare: compare an exact network with its convolutions and max poolings run apart and fused (<c>Network.FusesPooling</c>, the default).</summary>
    public bool FusedPooling { get; init; }

    /// <summary>step-compare: compare an exact network with its Dense layers and the ReLUs after them run apart and fused (<c>Network.FusesActivations</c>, the default).</summary>
    public bool FusedActivations { get; init; }

    /// <summary>step-compare: compare an exact network whose Flatten runs with one that passes over it (<c>Network.PassesViews</c>, the default).</summary>
    public bool PassedViews { get; init; }

    /// <summary>step-compare: compare an exact network in chunks of <see cref="ChunkRows"/> (64 unless given) with automatic chunks (the default).</summary>
    public bool Chunks { get; init; }

    /// <summary><c>step-compare</c>: the exact step with the convolutions' weight gradients over every output-gradient element, then over the nonzero ones only.</summary>
    public bool SparseGradients { get; init; }

    /// <summary><c>step-compare</c>: step on Fashion-MNIST's first training minibatch instead of uniform noise.</summary>
    public bool RealData { get; init; }

    /// <summary><c>step-compare</c>: the exact step with sparse weight gradients, its input gradients dense, then sparse too.</summary>
    public bool SparseInputGradients { get; init; }

    /// <summary>
    /// <c>step-compare</c> (RAD with <c>--keep</c>) and <c>magnitude-timing</c>: magnitude sampling's walk as in the eighteenth
    /// session, then writing whole vectors of draws (<c>MagnitudeSampling.WalksWholeVectors</c>, the default).
    /// </summary>
    public bool WholeVectors { get; init; }

    /// <summary>
    /// <c>step-compare --pooled-gradients</c>: only the first convolution reading its output gradient through the max pooling's
    /// winners, against every one that can (<c>Network.ReadsEveryPooledGradient</c>, the default).
    /// </summary>
    public bool PooledGradients { get; init; }

    /// <summary>step-flops: timed steps (0 = the verb's default).</summary>
    public int Steps { get; init; }

    /// <summary>train: print this many of the longest JIT compilations of the first epoch (<see cref="JitLog"/>).</summary>
    public int JitTop { get; init; }

    /// <summary>train: print each epoch's steps by band (<see cref="StepBands"/>).</summary>
    public bool StepBands { get; init; }

    /// <summary>train: read each next minibatch after the optimizer's update rather than during it (<c>TrainingLoop.ReadsAhead</c> off), for comparisons.</summary>
    public bool NoReadAhead { get; init; }

    /// <summary>train: switch reading ahead on and off every 8 steps and print each epoch's mean step either way (<see cref="SwitchingSource"/>).</summary>
    public bool SwitchReadAhead { get; init; }

    public float KeepFraction { get; init; } = 1f;

    public RadEstimator? Estimator { get; init; }

    public RadSettings Sketch => new() { KeepFraction = KeepFraction, Estimator = Estimator };

    public string SketchName => KeepFraction >= 1f ? "exact" : $"{(Estimator?.ToString() ?? "default")}:{KeepFraction.ToString(CultureInfo.InvariantCulture)}";

    public static RunOptions Parse(string[] args)
    {
        var options = new RunOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : string.Empty;
            options = args[i] switch
            {
                "--model" => options with { Model = value },
                "--epochs" => options with { Epochs = int.Parse(value, CultureInfo.InvariantCulture) },
                "--batch" => options with { Batch = int.Parse(value, CultureInfo.InvariantCulture) },
                "--threads" => options with { Threads = int.Parse(value, CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = int.Parse(value, CultureInfo.InvariantCulture) },
                "--rows" => options with { Rows = int.Parse(value, CultureInfo.InvariantCulture) },
                "--chunk-rows" => options with { ChunkRows = int.Parse(value, CultureInfo.InvariantCulture) },
                "--keep" => options with { KeepFraction = float.Parse(value, CultureInfo.InvariantCulture) },
                "--estimator" => options with { Estimator = Enum.Parse<RadEstimator>(value, ignoreCase: true) },
                "--synthetic" => options with { Synthetic = true },
                "--step-bands" => options with { StepBands = true },
                "--no-read-ahead" => options with { NoReadAhead = true },
                "--switch-read-ahead" => options with { SwitchReadAhead = true },
                "--profile" => options with { Profile = true },
                "--pool-order" => options with { PoolOrder = true },
                "--fused-pooling" => options with { FusedPooling = true },
                "--fused-activations" => options with { FusedActivations = true },
                "--passed-views" => options with { PassedViews = true },
                "--chunks" => options with { Chunks = true },
                "--sparse-gradients" => options with { SparseGradients = true },
                "--real-data" => options with { RealData = true },
                "--sparse-input-gradients" => options with { SparseInputGradients = true },
                "--whole-vectors" => options with { WholeVectors = true },
                "--pooled-gradients" => options with { PooledGradients = true },
                "--steps" => options with { Steps = int.Parse(value, CultureInfo.InvariantCulture) },
                "--jit-top" => options with { JitTop = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
            if (args[i] is not "--synthetic" and not "--profile" and not "--pool-order" and not "--fused-pooling" and not "--fused-activations" and not "--passed-views" and not "--chunks" and not "--sparse-gradients" and not "--real-data" and not "--sparse-input-gradients" and not "--step-bands" and not "--no-read-ahead" and not "--switch-read-ahead" and not "--whole-vectors" and not "--pooled-gradients")
            {
                i++;
            }
        }

        return options;
    }
}
