using System.IO.Compression;
using System.Xml.Linq;
using Microsoft.ML.RandAD.Tests.Datasets;

namespace Microsoft.ML.RandAD.Tests.MLNet;

/// <summary>
/// The library as an ML.NET user gets it: packed into a NuGet package, restored by an application of its own outside
/// this repository (no project reference, none of the repository's build settings), which trains, evaluates, saves,
/// reloads and exports a model. Every other test references the project, so only this one sees a dependency the
/// package fails to declare, an asset it leaves out (the ONNX Runtime natives a reloaded model needs come through the
/// dependencies) or an API a user cannot reach.
/// </summary>
[TestClass]
public sealed class PackageTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    // Declared by the package: what the trainers, save/load and ONNX export need at run time.
    private static readonly string[] Dependencies =
        ["Google.Protobuf", "Microsoft.ML", "Microsoft.ML.OnnxConverter", "Microsoft.ML.OnnxRuntime", "Microsoft.ML.OnnxTransformer", "System.Numerics.Tensors"];

    [TestMethod]
    [Timeout(600_000, CooperativeCancellation = true)]
    public void PackedLibraryTrainsSavesReloadsAndExportsInAnApplicationOfItsOwn()
    {
        // A version no earlier run used: NuGet keeps every restored package version in its global folder for good.
        string version = $"0.0.0-check.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        using var work = new TempFolder();
        string feed = work.File("feed"), app = work.File("app");
        Directory.CreateDirectory(app);
        try
        {
            string project = Path.Combine(ChildProcess.RepositoryRoot(), "src", "Microsoft.ML.RandAD", "Microsoft.ML.RandAD.csproj");
            (int packed, string packOutput) = ChildProcess.Run(
                ChildProcess.DotnetHost(), ["pack", project, "-c", Configuration, "--no-build", "-o", feed, $"-p:PackageVersion={version}"], TimeSpan.FromMinutes(3));
            Assert.AreEqual(0, packed, $"dotnet pack failed:\n{packOutput}");
            CheckPackage(Path.Combine(feed, $"Microsoft.ML.RandAD.{version}.nupkg"));

            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), ConsumerProject(version));
            File.WriteAllText(Path.Combine(app, "nuget.config"), NuGetConfig(feed));
            File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);
            (int ran, string output) = ChildProcess.Run(ChildProcess.DotnetHost(), ["run", "-c", "Release"], TimeSpan.FromMinutes(8), app);
            Assert.AreEqual(0, ran, $"the application failed:\n{output}");
            StringAssert.Contains(output, "accuracy 1.0000, reloaded 1.0000, exported");
        }
        finally
        {
            // The restored copy of this one-off version, out of NuGet's global folder.
            string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
                ? folder
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            string restored = Path.Combine(packages, "microsoft.ml.randad", version);
            if (Directory.Exists(restored))
            {
                Directory.Delete(restored, recursive: true);
            }
        }
    }

    /// <summary>The library and its documentation, the package readme, and the run-time dependencies (the build-time protoc not among them).</summary>
    private static void CheckPackage(string path)
    {
        using ZipArchive package = ZipFile.OpenRead(path);
        string[] entries = [.. package.Entries.Select(e => e.FullName)];
        foreach (string expected in new[] { "lib/net10.0/Microsoft.ML.RandAD.dll", "lib/net10.0/Microsoft.ML.RandAD.xml", "PACKAGE.md" })
        {
            CollectionAssert.Contains(entries, expected, $"the package has no {expected}: {string.Join(", ", entries)}");
        }

        using Stream nuspec = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        XElement metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string[] dependencies = [.. metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).Order(StringComparer.Ordinal)];
        CollectionAssert.AreEqual(Dependencies, dependencies, $"dependencies: {string.Join(", ", dependencies)}");
        Assert.AreEqual("PACKAGE.md", (string?)metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "readme"));
    }

    private static string ConsumerProject(string version) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Microsoft.ML.RandAD" Version="{version}" />
          </ItemGroup>
        </Project>
        """;

    // The folder with the package first, then the machine's own sources (ML.NET and the other dependencies).
    private static string NuGetConfig(string feed) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="randad-under-test" value="{feed}" />
          </packageSources>
        </configuration>
        """;

    // Three classes, each lifting one of four features: any working network separates them. The model is trained,
    // evaluated, saved and reloaded (scored through ONNX Runtime inside ML.NET), and the whole pipeline exported to ONNX.
    private const string ConsumerProgram = """
        using Microsoft.ML;
        using Microsoft.ML.Data;
        using Microsoft.ML.RandAD.MLNet;

        var ml = new MLContext(seed: 1);
        var random = new Random(1);
        var rows = Enumerable.Range(0, 600).Select(i => new Row
        {
            Label = $"class {i % 3}",
            Features = [.. Enumerable.Range(0, 4).Select(j => (float)((j == i % 3 ? 2.0 : 0.0) + random.NextDouble()))],
        }).ToList();
        IDataView data = ml.Data.LoadFromEnumerable(rows);

        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.RandAD(new RandADMulticlassTrainer.Options
            {
                HiddenLayerSizes = [16],
                NumberOfIterations = 10,
                BatchSize = 32,
                LearningRate = 0.01f,
                KeepFraction = 0.5f,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        ITransformer model = pipeline.Fit(data);
        double accuracy = ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy;

        string path = Path.Combine(Path.GetTempPath(), $"randad-consumer-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, data.Schema, path);
        ITransformer loaded = ml.Model.Load(path, out _);
        double reloaded = ml.MulticlassClassification.Evaluate(loaded.Transform(data)).MicroAccuracy;
        File.Delete(path);

        using var onnx = new MemoryStream();
        ml.Model.ConvertToOnnxWithRandAD(model, data, onnx);
        Console.WriteLine($"accuracy {accuracy:F4}, reloaded {reloaded:F4}, exported {onnx.Length} bytes of ONNX");
        return accuracy == 1 && reloaded == accuracy && onnx.Length > 0 ? 0 : 1;

        public sealed class Row
        {
            public string Label { get; set; } = "";

            [VectorType(4)]
            public float[] Features { get; set; } = [];
        }
        """;
}
