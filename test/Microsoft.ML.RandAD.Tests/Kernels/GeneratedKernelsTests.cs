using System.ComponentModel;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>
/// The kernels that C# generics cannot write once (unrolled on a number of registers) are written by scripts in
/// <c>eng/</c>; each generated file must be what its script writes today, so that a change made to the file by hand (and
/// lost at the next run of the script) or to the script alone (never run) fails here. Each script's <c>--check</c> compares
/// without writing.
/// </summary>
[TestClass]
public sealed class GeneratedKernelsTests
{
    [TestMethod]
    [DataRow("generate-gemm-tiles.py")]
    [DataRow("generate-pixel-kernels.py")]
    [DataRow("generate-sparse-kernels.py")]
    [DataRow("generate-weight-gradient-taps.py")]
    public void GeneratedFileIsWhatItsScriptWrites(string script)
    {
        string path = Path.Combine(ChildProcess.RepositoryRoot(), "eng", script);
        Assert.IsTrue(File.Exists(path), $"{path} not found.");
        int exitCode;
        string output;
        try
        {
            (exitCode, output) = ChildProcess.Run("python3", [path, "--check"], TimeSpan.FromSeconds(60));
        }
        catch (Win32Exception)
        {
            Assert.Inconclusive("python3 is not on the PATH: the generated kernels were not compared with their scripts.");
            return;
        }

        Assert.AreEqual(0, exitCode, $"{script} --check:\n{output}");
    }
}
