using System.Diagnostics;

namespace Microsoft.ML.RandAD.Tests;

/// <summary>Programs the tests start (dotnet, python3) and the repository folder they work in.</summary>
internal static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/> and returns its exit code and its output (standard
    /// output, then standard error); fails the test when it has not ended after <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The program is not there to start.</exception>
    public static (int ExitCode, string Output) Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} did not finish in {timeout.TotalSeconds:F0} s.");
        }

        return (process.ExitCode, $"{output.Result}\n{error.Result}");
    }

    /// <summary>The dotnet host running the tests (<c>DOTNET_HOST_PATH</c>), else the one in <c>DOTNET_ROOT</c>, else the PATH's.</summary>
    public static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        return !string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet")) ? Path.Combine(root, "dotnet") : "dotnet";
    }

    /// <summary>The folder above the test assembly that holds <c>eng/</c> and <c>src/Microsoft.ML.RandAD/</c>.</summary>
    public static string RepositoryRoot()
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
