using Microsoft.ML.Data;
using Microsoft.ML.RandAD.Model;

namespace Microsoft.ML.RandAD.MLNet.Scoring;

/// <summary>
/// Scores the current row of an input row or cursor, once per row however many output getters ask: reads the
/// features, runs its own <see cref="NetworkScorer"/> (one per cursor, so parallel cursors do not share buffers).
/// </summary>
internal sealed class RowScorer : IScoredOutputs
{
    private readonly DataViewRow _input;
    private readonly NetworkScorer _scorer;
    private readonly ValueGetter<VBuffer<float>> _features;
    private readonly float[] _inputs;
    private readonly float[] _outputs;
    private VBuffer<float> _vector;
    private long _position = -1;

    public RowScorer(Network network, DataViewRow input, DataViewSchema.Column features)
    {
        _input = input;
        _scorer = network.CreateScorer();
        _features = input.GetGetter<VBuffer<float>>(features);
        _inputs = new float[network.InputSize];
        _outputs = new float[network.OutputSize];
    }

    /// <inheritdoc/>
    public ReadOnlySpan<float> Outputs
    {
        get
        {
            if (_position != _input.Position || _position < 0)
            {
                ReadFeatures(_features, ref _vector, _inputs);
                _scorer.Score(_inputs, 1, _outputs);
                _position = _input.Position;
            }

            return _outputs;
        }
    }

    /// <summary>Reads the current row's feature vector through <paramref name="getter"/> into <paramref name="destination"/>, dense.</summary>
    internal static void ReadFeatures(ValueGetter<VBuffer<float>> getter, ref VBuffer<float> vector, Span<float> destination)
    {
        getter(ref vector);
        if (vector.Length != destination.Length)
        {
            throw new InvalidOperationException($"A feature vector of {vector.Length} values arrived; the model needs {destination.Length}.");
        }

        vector.CopyTo(destination);
    }
}

/// <summary>The network's raw outputs (logits, or the regression value) for a cursor's or row's current row.</summary>
internal interface IScoredOutputs
{
    /// <summary>The current row's outputs.</summary>
    ReadOnlySpan<float> Outputs { get; }
}
