using System.Diagnostics;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>
/// Scores data with a saved model in a separate process (test/RandAD.LoadCheck, built with the tests): the only
/// honest check that a saved zip loads without anything from the process that wrote it.
/// </summary>
internal static class FreshProcess
{
    public static IDataView Score(MLContext ml, string modelPath, IDataView input, string folder)
    {
        string inputPath = Path.Combine(folder, $"input-{Guid.NewGuid():N}.idv");
        string outputPath = Path.Combine(folder, $"scored-{Guid.NewGuid():N}.idv");
        using (FileStream stream = File.Create(inputPath))
        {
            ml.Data.SaveAsBinary(input, stream);
        }

        var start = new ProcessStartInfo(DotnetHost(), [LoadCheckPath(), modelPath, inputPath, outputPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start dotnet.");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The fresh load process did not finish in 90 s.");
        }

        Assert.AreEqual(0, process.ExitCode, $"fresh load process failed:\n{output.Result}\n{error.Result}");
        return ml.Data.LoadFromBinary(outputPath);
    }

    /// <summary>RandAD.LoadCheck.dll: same configuration and runtime folder as this test assembly, its own project folder.</summary>
    private static string LoadCheckPath()
    {
        string testFolder = AppContext.BaseDirectory;
        string candidate = testFolder.Replace(
            $"{Path.DirectorySeparatorChar}Microsoft.ML.RandAD.Tests{Path.DirectorySeparatorChar}",
            $"{Path.DirectorySeparatorChar}RandAD.LoadCheck{Path.DirectorySeparatorChar}");
        string path = Path.Combine(candidate, "RandAD.LoadCheck.dll");
        Assert.IsTrue(File.Exists(path), $"RandAD.LoadCheck.dll not found at {path}; it is built by the test project's reference.");
        return path;
    }

    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        return !string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet")) ? Path.Combine(root, "dotnet") : "dotnet";
    }
}
