using Microsoft.ML.RandAD.Layers;
using Microsoft.ML.RandAD.Tensors;

namespace Microsoft.ML.RandAD.Tests.Engine;

/// <summary>
/// Runs one layer outside a network the way the network does: binds its parameters to flat arrays, keeps its
/// input on a retained stack when it asks for it, and runs forward then backward on a training context.
/// </summary>
internal sealed class LayerHarness
{
    private readonly RetainedStack _stack = new();
    private readonly StepContext _context;

    public LayerHarness(Layer layer, int batch, ulong stepSeed = 1234, int seed = 7)
    {
        Layer = layer;
        Batch = batch;
        int count = layer.Parameters.Sum(p => p.Length);
        Parameters = new float[count];
        Gradients = new float[count];
        var blocks = new ParameterBlock[layer.Parameters.Count];
        int offset = 0;
        var random = new Random(seed);
        for (int i = 0; i < blocks.Length; i++)
        {
            ParameterSpec spec = layer.Parameters[i];
            blocks[i] = new ParameterBlock(spec, Parameters, Gradients, offset);
            for (int j = 0; j < spec.Length; j++)
            {
                // Running statistics must stay valid variances; everything else gets a generic random value.
                Parameters[offset + j] = spec.Name == "running_var" ? 0.5f + (float)random.NextDouble() : (float)(random.NextDouble() * 2 - 1) * 0.5f;
            }

            offset += spec.Length;
        }

        layer.Bind(blocks);
        Ledger = new MemoryLedger([layer.Description], 4L * count);
        _context = StepContext.ForTraining(_stack, Ledger);
        _context.StepSeed = stepSeed;
    }

    public Layer Layer { get; }

    public int Batch { get; }

    public float[] Parameters { get; }

    public float[] Gradients { get; }

    public MemoryLedger Ledger { get; }

    internal StepContext Context => _context;

    public float[] Forward(float[] input)
    {
        _stack.Reset();
        Ledger.BeginStep(Batch);
        _context.Batch = Batch;
        _context.LayerIndex = 0;
        ReadOnlySpan<float> x = input;
        if (Layer.KeepsInput)
        {
            _context.KeptInputBlock = _context.Keep<float>(input.Length);
            input.CopyTo(_context.Kept(_context.KeptInputBlock));
            x = _context.Kept(_context.KeptInputBlock);
        }

        var output = new float[Batch * Layer.OutputShape.Size];
        Layer.Forward(_context, x, output);
        return output;
    }

    /// <summary>Backward from <paramref name="outputGradient"/>; returns the input gradient (parameter gradients land in <see cref="Gradients"/>).</summary>
    public float[] Backward(float[] outputGradient, bool inputGradient = true)
    {
        var dx = inputGradient ? new float[Batch * Layer.InputShape.Size] : [];
        Layer.Backward(_context, outputGradient, dx);
        return dx;
    }

    public float[] Score(float[] input)
    {
        var context = StepContext.ForInference();
        context.Batch = Batch;
        var output = new float[Batch * Layer.OutputShape.Size];
        Layer.Forward(context, input, output);
        return output;
    }
}
