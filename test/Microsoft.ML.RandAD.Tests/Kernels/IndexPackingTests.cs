using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

[TestClass]
public sealed class IndexPackingTests
{
    [TestMethod]
    [DataRow(2)]
    [DataRow(4)]
    [DataRow(8)]
    public void PackThenUnpackRoundTripsOnEveryPathWithTheSameBytes(int bits)
    {
        var random = new Random(bits);

        // And lengths the threads split (from 65,536 values, in parts of 32,768): one part and a ragged one, and the CNN's
        // first pooling's 200,704 winners a chunk.
        foreach (int length in KernelTestCases.EdgeLengths.Concat([65_536 + 5, 200_704 + 3]))
        {
            byte[] values = [.. Enumerable.Range(0, length).Select(_ => (byte)random.Next(1 << bits))];
            int packedLength = (int)IndexPacking.PackedBytes(length, bits);

            // Reference layout: value i at bits [i·b, i·b + b) of the little-endian byte sequence.
            var expected = new byte[packedLength];
            for (int i = 0; i < length; i++)
            {
                expected[i * bits / 8] |= (byte)(values[i] << (i * bits % 8));
            }

            KernelTestCases.ForEachPath((path, threads) =>
            {
                var packed = new byte[packedLength + 3];
                packed.AsSpan().Fill(0xAA); // poisoned: every packed byte must be written
                IndexPacking.Pack(values, bits, packed);
                CollectionAssert.AreEqual(expected, packed.AsSpan(0, packedLength).ToArray(), $"packed bytes, length {length}");
                Assert.IsTrue(packed.AsSpan(packedLength).ToArray().All(b => b == 0xAA), "nothing written past the packed bytes");

                var unpacked = new byte[length + 5];
                unpacked.AsSpan().Fill(0xAA);
                IndexPacking.Unpack(packed, bits, length, unpacked);
                CollectionAssert.AreEqual(values, unpacked.AsSpan(0, length).ToArray(), $"unpacked, length {length}");
                Assert.IsTrue(unpacked.AsSpan(length).ToArray().All(b => b == 0xAA), "nothing written past the values");
            });
        }
    }

    [TestMethod]
    public void BitsFollowTheNumberOfValues()
    {
        Assert.AreEqual(2, IndexPacking.BitsFor(4));
        Assert.AreEqual(4, IndexPacking.BitsFor(9));
        Assert.AreEqual(4, IndexPacking.BitsFor(16));
        Assert.AreEqual(8, IndexPacking.BitsFor(25));
    }
}
