using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests;

[TestClass]
public sealed class KernelSettingsTests
{
    [TestMethod]
    public void DescribeNamesActivePathAndThreads()
    {
        using (KernelSettings.Use(KernelPath.Scalar, threads: 1))
        {
            StringAssert.Contains(KernelSettings.Describe(), "Scalar");
            StringAssert.Contains(KernelSettings.Describe(), "1 thread ");
        }
    }
}
