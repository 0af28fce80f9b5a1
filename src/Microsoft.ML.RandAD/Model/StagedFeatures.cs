using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Model;

/// <summary>Features written through <see cref="Network.BeginStep"/> when the batch spans several chunks.</summary>
internal sealed class StagedFeatures : IFeatureSource
{
    private float[] _values = [];

    public int Width { get; set; }

    public int Capacity => _values.Length;

    public Span<float> Prepare(int count)
    {
        if (_values.Length < count)
        {
            _values = PinnedMemory.Allocate<float>(count);
        }

        return _values.AsSpan(0, count);
    }

    public void FillFeatures(int firstRow, int rowCount, Span<float> features) =>
        _values.AsSpan(firstRow * Width, rowCount * Width).CopyTo(features);

    public bool FillsRowsConcurrently => true;
}
