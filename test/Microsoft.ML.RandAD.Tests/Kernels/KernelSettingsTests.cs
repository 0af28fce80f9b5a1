using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>The kernel switch: its description, and the thread count a thread sets for itself (a trainer's NumberOfThreads) beside the process-wide one.</summary>
[TestClass]
[DoNotParallelize] // KernelSettings is process-wide.
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

    [TestMethod]
    public void AThreadsOwnCountHoldsOnThatThreadUntilItsScopeEnds()
    {
        using (KernelSettings.Use(KernelSettings.Path, threads: 3))
        {
            using (KernelSettings.UseThreadsOnThisThread(1))
            {
                Assert.AreEqual(1, KernelSettings.ThreadCount);
                StringAssert.Contains(KernelSettings.Describe(), " 1 thread of ");
                Assert.AreEqual(3, OnAnotherThread(() => KernelSettings.ThreadCount), "another thread keeps the process-wide count");

                using (KernelSettings.UseThreadsOnThisThread(2))
                {
                    Assert.AreEqual(2, KernelSettings.ThreadCount);
                }

                Assert.AreEqual(1, KernelSettings.ThreadCount, "an inner scope restores the outer one");
                using (KernelSettings.UseThreadsOnThisThread(null))
                {
                    Assert.AreEqual(1, KernelSettings.ThreadCount, "null keeps the count in force");
                }
            }

            Assert.AreEqual(3, KernelSettings.ThreadCount);
            StringAssert.Contains(KernelSettings.Describe(), " 3 threads of ");
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => KernelSettings.UseThreadsOnThisThread(0));
            Assert.AreEqual(3, KernelSettings.ThreadCount, "a refused count changes nothing");
        }
    }

    private static T OnAnotherThread<T>(Func<T> read)
    {
        T value = default!;
        var thread = new Thread(() => value = read());
        thread.Start();
        thread.Join();
        return value;
    }
}
