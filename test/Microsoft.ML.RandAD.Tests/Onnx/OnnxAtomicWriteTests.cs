using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.RandAD.Model;
using Microsoft.ML.RandAD.Onnx;

namespace Microsoft.ML.RandAD.Tests.Onnx;

/// <summary>A failed export leaves no file and no temporary file, and an existing file untouched.</summary>
[TestClass]
public sealed class OnnxAtomicWriteTests
{
    private static readonly Network Network = OnnxParityCheck.Trained(NetworkSpec.Mlp(6, [5], 3, new LossSpec(LossKind.SoftmaxCrossEntropy)), seed: 1);

    private string _folder = string.Empty;

    [TestInitialize]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "randad-onnx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [TestMethod]
    public void SaveWritesALoadableFileAndNothingElse()
    {
        string path = Path.Combine(_folder, "model.onnx");
        OnnxExport.Save(Network, path);

        CollectionAssert.AreEqual(new[] { "model.onnx" }, FilesInFolder());
        CollectionAssert.AreEqual(OnnxExport.ToBytes(Network), File.ReadAllBytes(path));
        using var session = new InferenceSession(path);
        Assert.AreEqual(OnnxNames.Features, session.InputNames.Single());
    }

    [TestMethod]
    public void FailureMidwayLeavesNoFileAndNoTemporaryFile()
    {
        string path = Path.Combine(_folder, "model.onnx");
        var failure = Assert.ThrowsExactly<IOException>(() => OnnxExport.Save(Network, path, null, stream => new FailingStream(stream, failAfterBytes: 100)));

        Assert.AreEqual(FailingStream.Message, failure.Message);
        Assert.AreEqual(0, FilesInFolder().Length, string.Join(", ", FilesInFolder()));
    }

    [TestMethod]
    public void FailureMidwayLeavesAnExistingFileUntouched()
    {
        string path = Path.Combine(_folder, "model.onnx");
        byte[] original = [1, 2, 3, 4, 5];
        File.WriteAllBytes(path, original);

        Assert.ThrowsExactly<IOException>(() => OnnxExport.Save(Network, path, null, stream => new FailingStream(stream, failAfterBytes: 10)));

        CollectionAssert.AreEqual(original, File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "model.onnx" }, FilesInFolder());
    }

    [TestMethod]
    public void InvalidOptionsFailBeforeTheDiskIsTouched()
    {
        string path = Path.Combine(_folder, "model.onnx");
        File.WriteAllText(path, "previous");

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => OnnxExport.Save(Network, path, new OnnxExportOptions { Opset = 9 }));
        Assert.ThrowsExactly<ArgumentException>(() => OnnxExport.Save(Network, path, new OnnxExportOptions { Task = OnnxTask.Binary }));

        Assert.AreEqual("previous", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { "model.onnx" }, FilesInFolder());
    }

    [TestMethod]
    public void SuccessReplacesAnExistingFile()
    {
        string path = Path.Combine(_folder, "model.onnx");
        File.WriteAllText(path, "previous");

        OnnxExport.Save(Network, path);

        CollectionAssert.AreEqual(OnnxExport.ToBytes(Network), File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "model.onnx" }, FilesInFolder());
    }

    [TestMethod]
    public void ADirectoryAtThePathIsAnErrorAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_folder, "taken");
        Directory.CreateDirectory(path);

        Assert.ThrowsExactly<IOException>(() => OnnxExport.Save(Network, path));

        Assert.AreEqual(0, FilesInFolder().Length);
        Assert.IsTrue(Directory.Exists(path));
    }

    [TestMethod]
    public void AMissingFolderIsAnError()
    {
        string path = Path.Combine(_folder, "missing", "model.onnx");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => OnnxExport.Save(Network, path));
        Assert.AreEqual(0, FilesInFolder().Length);
    }

    [TestMethod]
    public void AStreamThatFailsPassesTheErrorOn()
    {
        using var sink = new MemoryStream();
        using var failing = new FailingStream(sink, failAfterBytes: 0);
        Assert.ThrowsExactly<IOException>(() => OnnxExport.Save(Network, failing));
        Assert.ThrowsExactly<ArgumentException>(() => OnnxExport.Save(Network, new MemoryStream([], writable: false)));
    }

    private string[] FilesInFolder() => [.. Directory.GetFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    /// <summary>Passes writes through until <c>failAfterBytes</c> bytes, then throws like a full disk.</summary>
    private sealed class FailingStream(Stream inner, long failAfterBytes) : Stream
    {
        public const string Message = "Injected failure: no space left on device.";

        private long _written;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _written;

        public override long Position { get => _written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > failAfterBytes)
            {
                int allowed = (int)Math.Max(0, failAfterBytes - _written);
                inner.Write(buffer[..allowed]);
                _written += allowed;
                throw new IOException(Message);
            }

            inner.Write(buffer);
            _written += buffer.Length;
        }

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
