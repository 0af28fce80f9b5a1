using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.ML.RandAD.Datasets;

namespace Microsoft.ML.RandAD.Tests.Datasets;

/// <summary>A fresh folder under the system temp folder, deleted afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"randad-test-{Guid.NewGuid():N}");

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// The real data sets, loaded once per test run into the default cache (RANDAD_DATA or ~/.cache/randad):
/// the first run on a clean machine fetches them with npm (~10 s), later runs read the cache.
/// </summary>
internal static class RealData
{
    private static readonly Lazy<DataSplit> fashion = new(() => FashionMnist.Load());
    private static readonly Lazy<DataSplit> mnist = new(() => MnistSubset.Load());

    public static DataSplit Fashion => fashion.Value;

    public static DataSplit Mnist => mnist.Value;
}

/// <summary>
/// A made-up npm package and a fake <c>npm</c> shell script that "downloads" it and counts its calls, so the
/// fetch → convert → cache path can be tested without the network.
/// </summary>
internal sealed class FakeNpmPackage
{
    public static readonly NpmDataSource Source = new(
        Name: "Fake images",
        Package: "fake-images",
        Version: "1.0.0",
        EntryPathFormat: "package/src/fake/{0}.json",
        Layout: NpmJsonLayout.RowsOfBytes,
        ExpectedPerClass: [3, 2, 4],
        TrainCount: 6,
        ClassNames: ["a", "b", "c"],
        IdxFolderName: null);

    private readonly string callLog;

    public FakeNpmPackage(TempFolder folder)
    {
        string tarball = folder.File("fake-images-1.0.0.tgz");
        WriteTarball(tarball);
        callLog = folder.File("npm-calls.txt");
        NpmCommand = folder.File("fake-npm.sh");
        System.IO.File.WriteAllText(NpmCommand,
            $"#!/bin/sh\necho \"$@\" >> '{callLog}'\nsleep 0.3\ncp '{tarball}' ./fake-images-1.0.0.tgz\n");
        if (!OperatingSystem.IsWindows()) // the tests using it only run where shell scripts do
            System.IO.File.SetUnixFileMode(NpmCommand, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string NpmCommand { get; }

    public int Calls => System.IO.File.Exists(callLog) ? System.IO.File.ReadAllLines(callLog).Length : 0;

    /// <summary>Pixel value of class c, image i, pixel p: recognisable after the split permutes records.</summary>
    public static byte Pixel(int label, int image, int pixel) => (byte)((label * 50 + image * 7 + pixel) % 256);

    private static void WriteTarball(string path)
    {
        using var file = System.IO.File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Ustar);
        AddEntry(tar, "package/package.json", "{\"name\":\"fake-images\"}");
        for (int label = 0; label < Source.ClassCount; label++)
        {
            var json = new StringBuilder("{\"data\":[");
            for (int image = 0; image < Source.ExpectedPerClass[label]; image++)
            {
                if (label == 0 && image == 1)
                    json.Append("[],"); // the empty entry quirk of fashion-mnist's 0.json
                json.Append('[').AppendJoin(',', Enumerable.Range(0, 784).Select(p => Pixel(label, image, p).ToString(CultureInfo.InvariantCulture))).Append("],");
            }
            json.Length--;
            json.Append("]}");
            AddEntry(tar, Source.EntryPath(label), json.ToString());
        }
    }

    private static void AddEntry(TarWriter tar, string name, string text) =>
        tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
}
