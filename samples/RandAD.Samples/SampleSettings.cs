using System.Globalization;
using Microsoft.ML.RandAD.Sketches;

namespace RandAD.Samples;

/// <summary>The sample's command-line switches.</summary>
internal sealed record SampleSettings(bool Quick, bool SkipBaselines, bool Rad, int? Epochs, bool Help, float LearningRate = 1e-3f, RadEstimator? Estimator = null, int Seed = 1)
{
    /// <summary>
    /// Whether the RAD rows (keep fraction 0.1) run without <c>--rad</c>: they need the engine's randomized
    /// sketches (<c>Network.ConfigureSketches</c> with f &lt; 1), which main has; <c>--no-rad</c> leaves them out.
    /// </summary>
    public const bool RadRowsByDefault = true;

    public const string Usage = """
        usage: dotnet run --project samples/RandAD.Samples -c Release [-- options]
          --quick            a small subset (6,000 train / 2,000 test rows, 2 passes) to check the set-up
          --skip-baselines   do not train ML.NET's SdcaMaximumEntropy and LightGbm
          --rad / --no-rad   add (or leave out) the RAD rows, keep fraction 0.1
          --epochs N         passes over the training data for the RandAD models
          --lr X             Adam learning rate of the RandAD models (default 1e-3)
          --rad-estimator E  the RAD rows' estimator (SampledByMagnitude, SampledPerRow, SampledShared, ...; default SampledByMagnitude)
          --seed N           seed of the RandAD models' initialization and shuffling (default 1)
          --help             this text
        """;

    public static SampleSettings Parse(string[] args)
    {
        bool quick = false, skip = false, rad = RadRowsByDefault, help = false;
        int? epochs = null;
        float rate = 1e-3f;
        RadEstimator? estimator = null;
        int seed = 1;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--skip-baselines": skip = true; break;
                case "--rad": rad = true; break;
                case "--no-rad": rad = false; break;
                case "--epochs" when i + 1 < args.Length && int.TryParse(args[i + 1], out int n) && n > 0: epochs = n; i++; break;
                case "--lr" when i + 1 < args.Length && float.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out float r) && r > 0: rate = r; i++; break;
                case "--rad-estimator" when i + 1 < args.Length && Enum.TryParse(args[i + 1], ignoreCase: true, out RadEstimator e): estimator = e; i++; break;
                case "--seed" when i + 1 < args.Length && int.TryParse(args[i + 1], out int s): seed = s; i++; break;
                case "--help" or "-h": help = true; break;
                default: throw new ArgumentException($"Unknown or incomplete option '{args[i]}'.\n{Usage}");
            }
        }

        return new SampleSettings(quick, skip, rad, epochs, help, rate, estimator, seed);
    }
}
