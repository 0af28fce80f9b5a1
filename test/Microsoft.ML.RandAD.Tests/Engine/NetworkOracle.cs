using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>A whole network's loss in double precision: the layer oracles chained, then the loss oracle.</summary>
internal static class NetworkOracle
{
    public static double Loss(Network network, double[] input, double[] parameters, float[] targets, float[]? weights, int batch, long step)
    {
        double[] x = input;
        int offset = 0;
        for (int i = 0; i < network.Layers.Count; i++)
        {
            Layer layer = network.Layers[i];
            int count = layer.Parameters.Sum(p => p.Length);
            x = Oracle.Forward(layer, x, parameters[offset..(offset + count)], batch, network.StepSeedOf(step), i);
            offset += count;
        }

        return Oracle.Loss(network.Spec.Loss, x, targets, weights, batch, network.OutputSize);
    }
}
