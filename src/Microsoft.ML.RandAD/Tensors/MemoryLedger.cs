namespace Microsoft.ML.RandAD.Tensors;

/// <summary>
/// Counts the bytes each layer retains between its forward and its backward pass, per layer and in total,
/// and the peak within a step. Every retained byte goes through the engine's retained stack, which
/// reports here, so the figures are measured, not estimated.
/// </summary>
public sealed class MemoryLedger
{
    private readonly string[] _layerNames;
    private readonly long[] _retained;

    internal MemoryLedger(IReadOnlyList<string> layerNames, long parameterBytes)
    {
        _layerNames = [.. layerNames];
        _retained = new long[layerNames.Count];
        ParameterBytes = parameterBytes;
    }

    /// <summary>Bytes of the network's parameters (4 per float).</summary>
    public long ParameterBytes { get; }

    /// <summary>Bytes retained by all layers during the last step.</summary>
    public long RetainedBytes { get; private set; }

    /// <summary>Largest number of bytes held on the retained stack at any moment of the last step.</summary>
    public long PeakRetainedBytes { get; private set; }

    /// <summary>Batch size of the last step.</summary>
    public int BatchSize { get; private set; }

    /// <summary>Layer names, in network order.</summary>
    public IReadOnlyList<string> LayerNames => _layerNames;

    /// <summary>Bytes retained by layer <paramref name="layer"/> during the last step.</summary>
    /// <param name="layer">Layer index in network order.</param>
    /// <returns>The bytes.</returns>
    public long LayerRetainedBytes(int layer) => _retained[layer];

    /// <summary>One line per layer and a total, for logs and the memory report.</summary>
    /// <returns>The table as text.</returns>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"retained between forward and backward, batch {BatchSize}:");
        for (int i = 0; i < _layerNames.Length; i++)
        {
            text.AppendLine($"  {_layerNames[i],-28} {_retained[i],14:N0} B");
        }

        text.AppendLine($"  {"total activations",-28} {RetainedBytes,14:N0} B");
        text.Append($"  {"parameters",-28} {ParameterBytes,14:N0} B");
        return text.ToString();
    }

    internal void BeginStep(int batchSize)
    {
        Array.Clear(_retained);
        RetainedBytes = 0;
        PeakRetainedBytes = 0;
        BatchSize = batchSize;
    }

    internal void Charge(int layer, long bytes, long stackDepth)
    {
        _retained[layer] += bytes;
        RetainedBytes += bytes;
        PeakRetainedBytes = Math.Max(PeakRetainedBytes, stackDepth);
    }
}
