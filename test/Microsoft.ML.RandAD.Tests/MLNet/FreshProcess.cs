namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>
/// Work in a process of its own (console projects under test/, built with the tests): scoring with a saved model in
/// test/RandAD.LoadCheck, the only honest check that a saved zip loads without anything from the process that wrote it;
/// and code whose dependencies clash with this process's (test/RandAD.ImageCheck).
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

        Run("RandAD.LoadCheck", [modelPath, inputPath, outputPath]);
        return ml.Data.LoadFromBinary(outputPath);
    }

    /// <summary>
    /// Runs <paramref name="tool"/> (a console project under test/, built with the tests) with <paramref name="arguments"/>
    /// in a process of its own, and fails the test unless it ends within 90 s with exit code 0.
    /// </summary>
    public static void Run(string tool, IEnumerable<string> arguments)
    {
        (int exitCode, string output) = ChildProcess.Run(ChildProcess.DotnetHost(), [ToolPath(tool), .. arguments], TimeSpan.FromSeconds(90));
        Assert.AreEqual(0, exitCode, $"{tool} failed:\n{output}");
    }

    /// <summary>The tool's dll: same configuration and runtime folder as this test assembly, its own project folder.</summary>
    private static string ToolPath(string tool)
    {
        string testFolder = AppContext.BaseDirectory;
        string candidate = testFolder.Replace(
            $"{Path.DirectorySeparatorChar}Microsoft.ML.RandAD.Tests{Path.DirectorySeparatorChar}",
            $"{Path.DirectorySeparatorChar}{tool}{Path.DirectorySeparatorChar}");
        string path = Path.Combine(candidate, $"{tool}.dll");
        Assert.IsTrue(File.Exists(path), $"{tool}.dll not found at {path}; it is built by the test project's reference.");
        return path;
    }
}
