using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.RandAD.MLNet;

/// <summary>
/// The two pieces of ML.NET's host that its public API keeps internal, reached by reflection (MLNET-NOTES.md):
/// the environment behind a trainer catalog (<c>IInternalCatalog.Environment</c>), for logging and seeding, and
/// the cancel flag that <c>MLContext.CancelExecution()</c> sets (<c>ICancelable.IsCanceled</c>).
/// </summary>
internal static class HostAccess
{
    /// <summary>The environment of an ML.NET catalog (e.g. <c>mlContext.MulticlassClassification.Trainers</c>).</summary>
    public static IHostEnvironment EnvironmentOf(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        foreach (Type type in catalog.GetType().GetInterfaces().Where(i => i.Name == "IInternalCatalog"))
        {
            if (type.GetProperty("Environment")?.GetValue(catalog) is IHostEnvironment environment)
            {
                return environment;
            }
        }

        for (Type? type = catalog.GetType(); type is not null; type = type.BaseType)
        {
            const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
            if (type.GetProperty("Environment", flags)?.GetValue(catalog) is IHostEnvironment environment)
            {
                return environment;
            }
        }

        throw new InvalidOperationException(
            $"Could not reach the ML.NET environment behind {catalog.GetType().Name}; this ML.NET version is not supported.");
    }

    /// <summary>
    /// A probe that says whether <c>MLContext.CancelExecution()</c> was called: reads the internal
    /// <c>ICancelable.IsCanceled</c> of the host and of its environment. Never throws; false when unreadable.
    /// </summary>
    public static Func<bool> CancellationProbe(params object[] hosts)
    {
        var readers = new List<Func<bool>>();
        foreach (object host in hosts)
        {
            Type? cancelable = host.GetType().GetInterfaces().FirstOrDefault(i => i.Name == "ICancelable");
            PropertyInfo? property = cancelable?.GetProperty("IsCanceled");
            if (property is not null)
            {
                readers.Add(() => property.GetValue(host) is true);
            }
        }

        return () => readers.Any(read => read());
    }
}
