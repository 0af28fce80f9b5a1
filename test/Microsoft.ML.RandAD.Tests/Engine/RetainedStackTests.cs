using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Tests.Engine;

[TestClass]
public sealed class RetainedStackTests
{
    [TestMethod]
    public void ManySmallOddSizedBlocksFitOneChunkAfterTheFirstStep()
    {
        // Blocks that are not multiples of the 64-byte alignment: the padding must be counted when the chunks are merged.
        var stack = new RetainedStack();
        void Step()
        {
            stack.Reset();
            for (int i = 0; i < 200; i++)
            {
                stack.Push<ulong>(2);
                stack.Push<float>(1263 + i);
                stack.Push<byte>(37);
            }
        }

        Step();
        Step();
        long capacity = stack.CapacityBytes;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Step();
        Assert.AreEqual(0L, GC.GetAllocatedBytesForCurrentThread() - before, "bytes allocated by steady-state steps");
        Assert.AreEqual(capacity, stack.CapacityBytes);
    }

    [TestMethod]
    public void BlocksKeepTheirContentAndAlignment()
    {
        var stack = new RetainedStack();
        stack.Reset();
        var blocks = Enumerable.Range(1, 50).Select(n => stack.Push<float>(n * 7)).ToArray();
        for (int b = 0; b < blocks.Length; b++)
        {
            stack.Get(blocks[b]).Fill(b);
        }

        for (int b = 0; b < blocks.Length; b++)
        {
            Assert.IsTrue(stack.Get(blocks[b]).ToArray().All(v => v == b), $"block {b}");
            unsafe
            {
                fixed (float* p = stack.Get(blocks[b]))
                {
                    Assert.AreEqual(0L, (long)p % 64, $"block {b} alignment");
                }
            }
        }
    }
}
