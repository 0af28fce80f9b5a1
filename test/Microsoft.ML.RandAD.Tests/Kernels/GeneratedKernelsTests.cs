using System.ComponentModel;
using System.Diagnostics;

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
    [DataRow("generate-pixel-kernels.py")]
    [DataRow("generate-sparse-kernels.py")]
    public void GeneratedFileIsWhatItsScriptWrites(string script)
    {
        string path = Path.Combine(RepositoryRoot(), "eng", script);
        Assert.IsTrue(File.Exists(path), $"{path} not found.");
        var start = new ProcessStartInfo("python3", [path, "--check"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("Could not start python3.");
        }
        catch (Win32Exception)
        {
            Assert.Inconclusive("python3 is not on the PATH: the generated kernels were not compared with their scripts.");
            return;
        }

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            Assert.IsTrue(process.WaitForExit(TimeSpan.FromSeconds(60)), $"{script} --check did not finish in 60 s.");
            Assert.AreEqual(0, process.ExitCode, $"{script} --check:\n{output.Result}\n{error.Result}");
        }
    }

    /// <summary>The folder above the test assembly that holds <c>eng/</c> and <c>src/</c>.</summary>
    private static string RepositoryRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (Directory.Exists(Path.Combine(folder.FullName, "eng")) && Directory.Exists(Path.Combine(folder.FullName, "src", "Microsoft.ML.RandAD")))
            {
                return folder.FullName;
            }
        }

        Assert.Fail($"No folder above {AppContext.BaseDirectory} holds eng/ and src/Microsoft.ML.RandAD/.");
        return "";
    }
}
