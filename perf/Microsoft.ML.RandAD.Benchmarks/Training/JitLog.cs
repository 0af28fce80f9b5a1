using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Microsoft.ML.RandAD.Benchmarks.Training;

/// <summary>
/// <c>train --jit-top N</c>: the methods whose compilation took longest while it listened (the runtime's JIT events,
/// jitting started to method loaded, on the compiling thread), with their tier, so a first epoch's JIT time can be
/// attributed.
/// </summary>
internal sealed class JitLog : EventListener
{
    private const EventKeywords JitKeyword = (EventKeywords)0x10;
    private readonly ConcurrentDictionary<ulong, DateTime> _started = new();
    private readonly ConcurrentBag<(string Name, string Tier, double Milliseconds)> _compiled = [];

    /// <summary>Whether events are recorded (the runtime's source may be enabled before the constructor ends).</summary>
    public bool Recording { get; set; }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, JitKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!Recording || e.Payload is null || e.PayloadNames is null)
        {
            return;
        }

        switch (e.EventName)
        {
            case "MethodJittingStarted_V1":
                _started[Convert.ToUInt64(e.Payload[e.PayloadNames.IndexOf("MethodID")])] = e.TimeStamp;
                break;
            case "MethodLoadVerbose_V1":
            case "MethodLoadVerbose_V2":
                ulong id = Convert.ToUInt64(e.Payload[e.PayloadNames.IndexOf("MethodID")]);
                if (_started.TryRemove(id, out DateTime start))
                {
                    string name = $"{e.Payload[e.PayloadNames.IndexOf("MethodNamespace")]}::{e.Payload[e.PayloadNames.IndexOf("MethodName")]}";
                    // MethodFlags bits 7-9: the runtime's JitOptimizationTier (ReadyToRun code is loaded, not jitted).
                    uint flags = Convert.ToUInt32(e.Payload[e.PayloadNames.IndexOf("MethodFlags")]);
                    string tier = (int)((flags >> 7) & 7) switch
                    {
                        1 => "MinOpt",
                        2 => "Optimized",
                        3 => "Tier0",
                        4 => "Tier1",
                        5 => "Tier1OSR",
                        6 => "Tier0Instrumented",
                        7 => "Tier1Instrumented",
                        int other => $"flags {other}",
                    };
                    _compiled.Add((name, tier, (e.TimeStamp - start).TotalMilliseconds));
                }

                break;
        }
    }

    // The assembly-level owner of a method, by namespace: RandAD's library, the benchmarks, or the rest by its first two parts.
    private static string Owner(string name) =>
        name.StartsWith("Microsoft.ML.RandAD.Benchmarks", StringComparison.Ordinal) ? "benchmarks"
        : name.StartsWith("Microsoft.ML.RandAD.Kernels", StringComparison.Ordinal) ? "RandAD kernels"
        : name.StartsWith("Microsoft.ML.RandAD", StringComparison.Ordinal) ? "RandAD other"
        : string.Join('.', name.Split("::")[0].Split('.').Take(3));

    /// <summary>Prints the total by tier and the <paramref name="count"/> longest compilations.</summary>
    public void Print(int count, TextWriter writer)
    {
        var all = _compiled.ToArray();
        writer.WriteLine($"JIT events: {all.Length} methods, {all.Sum(c => c.Milliseconds):F0} ms");
        foreach (var tier in all.GroupBy(c => c.Tier).OrderByDescending(g => g.Sum(c => c.Milliseconds)))
        {
            writer.WriteLine($"  tier {tier.Key}: {tier.Count()} methods, {tier.Sum(c => c.Milliseconds):F0} ms");
        }

        foreach (var group in all.GroupBy(c => (Owner: Owner(c.Name), c.Tier)).OrderByDescending(g => g.Sum(c => c.Milliseconds)).Take(12))
        {
            writer.WriteLine($"  {group.Key.Owner} at {group.Key.Tier}: {group.Count()} methods, {group.Sum(c => c.Milliseconds):F0} ms");
        }

        foreach (var (name, tier, ms) in all.OrderByDescending(c => c.Milliseconds).Take(count))
        {
            writer.WriteLine($"  {ms,7:F1} ms  {tier,-16} {(name.Length > 150 ? name[..150] : name)}");
        }
    }
}
