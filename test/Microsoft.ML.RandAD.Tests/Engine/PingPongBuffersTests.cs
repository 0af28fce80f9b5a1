using System.Runtime.CompilerServices;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Tests.Engine;

[TestClass]
public sealed class PingPongBuffersTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(511)]
    [DataRow(512)]
    [DataRow(513)]
    [DataRow(1024)]
    [DataRow(32 * 1024)]
    [DataRow(16 * 12544)]
    [DataRow(100_003)]
    public void TheSecondBufferStartsHalfAPageFromTheFirstAndNeverOverlapsIt(int length)
    {
        var buffers = new PingPongBuffers(length);
        Span<float> first = buffers.First, second = buffers.Second;
        Assert.AreEqual(length, first.Length);
        Assert.AreEqual(length, second.Length);
        Assert.IsFalse(first.Overlaps(second), "the buffers overlap");

        long distance = Address(second) - Address(first);
        Assert.AreEqual(2048L, ((distance % 4096) + 4096) % 4096, "bytes from the first buffer to the second, modulo a 4 KB page");
        Assert.IsTrue(buffers.StorageLength <= (2 * length) + 1024, $"{buffers.StorageLength} floats of storage for two buffers of {length}: more than a page of slack");
    }

    [TestMethod]
    public void OtherIsTheBufferThatDoesNotHoldTheCurrentData()
    {
        var buffers = new PingPongBuffers(100);
        Assert.IsTrue(Same(buffers.Second, buffers.Other(buffers.First.Slice(10, 5))));
        Assert.IsTrue(Same(buffers.First, buffers.Other(buffers.Second.Slice(0, 100))));
        Assert.IsTrue(Same(buffers.First, buffers.Other(new float[100])), "data outside both goes to the first");
    }

    [TestMethod]
    public void EmptyBuffersHoldNothing()
    {
        Assert.AreEqual(0, PingPongBuffers.Empty.Length);
        Assert.AreEqual(0, PingPongBuffers.Empty.First.Length);
        Assert.AreEqual(0, PingPongBuffers.Empty.Second.Length);
    }

    private static unsafe long Address(Span<float> span) => (long)Unsafe.AsPointer(ref span[0]);

    private static bool Same(Span<float> a, Span<float> b) => a.Length == b.Length && Unsafe.AreSame(ref a[0], ref b[0]);
}
