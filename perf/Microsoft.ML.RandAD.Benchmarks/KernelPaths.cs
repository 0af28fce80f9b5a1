using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Benchmarks;

/// <summary>Parameter source shared by the kernel benchmarks: every path this machine supports, scalar first (the baseline).</summary>
public static class KernelPaths
{
    /// <summary>The supported paths.</summary>
    public static IEnumerable<KernelPath> Supported => KernelSettings.SupportedPaths;
}
