using System.Runtime.Intrinsics.X86;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
public sealed class KernelPathCoverageTests
{
    [TestMethod]
    public void EveryWidthTheProcessorHasIsSelectableSoItsKernelsGetTested()
    {
        // The runtime may prefer 256-bit code on AVX-512 processors (Vector512.IsHardwareAccelerated is then false);
        // the 512-bit kernels must still be selectable, or no test on such a machine would ever run them.
        if (Avx512F.IsSupported)
        {
            CollectionAssert.Contains(KernelSettings.SupportedPaths.ToList(), KernelPath.Vector512);
        }

        if (Avx2.IsSupported && Fma.IsSupported)
        {
            CollectionAssert.Contains(KernelSettings.SupportedPaths.ToList(), KernelPath.Vector256);
        }

        Assert.AreEqual(KernelPath.Scalar, KernelSettings.SupportedPaths[0]);
        Console.WriteLine(KernelSettings.Describe() + "; selectable: " + string.Join(", ", KernelSettings.SupportedPaths));
    }

    [TestMethod]
    public void The512BitKernelsAreTestedOnEveryMachine()
    {
        // Where the processor lacks AVX-512 they run in software (Avx512Ops): slow, but the same logic and the same bits.
        CollectionAssert.Contains(KernelTestCases.Paths.ToList(), KernelPath.Vector512);
        using (KernelSettings.Use(KernelPath.Vector512, 1))
        {
            StringAssert.Contains(KernelSettings.Describe(), Avx512F.IsSupported ? "(AVX-512F)" : "emulated in software");
        }
    }
}
