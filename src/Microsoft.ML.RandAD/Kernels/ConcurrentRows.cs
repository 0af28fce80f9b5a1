namespace Microsoft.ML.RandAD.Kernels;

/// <summary>Something that writes rows of floats, a row range at a time, and may be called for disjoint ranges from several threads at once.</summary>
internal interface IRowWriter
{
    /// <summary>Writes rows [<paramref name="firstRow"/>, + <paramref name="rowCount"/>) into <paramref name="rows"/> (rowCount × row width floats).</summary>
    void WriteRows(int firstRow, int rowCount, Span<float> rows);
}

/// <summary>
/// Fills a block of rows by parts on the pool's threads, a contiguous range of rows each (a minibatch's features, copied
/// or decoded while the worker would otherwise wait for the step). One instance per caller, reused call after call.
/// </summary>
internal sealed unsafe class ConcurrentRows : IParallelWork
{
    // Below this many floats (a 128-row MLP batch is 100k) one thread's copy costs less than waking the other.
    private const int MinFloats = 32 * 1024;

    private IRowWriter? _writer;
    private float* _destination;
    private int _rows;
    private int _width;

    /// <summary>Writes <paramref name="rows"/> rows of <paramref name="width"/> floats into <paramref name="destination"/>, split over the threads when large enough.</summary>
    public void Write(IRowWriter writer, int rows, int width, Span<float> destination)
    {
        int parts = Math.Min(rows, WorkerPool.AvailableThreads);
        if (parts < 2 || (long)rows * width < MinFloats)
        {
            writer.WriteRows(0, rows, destination);
            return;
        }

        fixed (float* d = destination)
        {
            _writer = writer;
            _destination = d;
            _rows = rows;
            _width = width;
            try
            {
                WorkerPool.Run(this, parts);
            }
            finally
            {
                _writer = null;
                _destination = null;
            }
        }
    }

    void IParallelWork.Run(int part, int partCount)
    {
        int first = (int)((long)_rows * part / partCount), end = (int)((long)_rows * (part + 1) / partCount);
        _writer!.WriteRows(first, end - first, new Span<float>(_destination + ((long)first * _width), (end - first) * _width));
    }
}
