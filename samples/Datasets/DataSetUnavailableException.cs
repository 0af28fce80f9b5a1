namespace Microsoft.ML.RandAD.Datasets;

/// <summary>
/// A data set could be found neither in the cache, nor as IDX files, nor through npm. The message lists
/// what was tried and what the user can do about it.
/// </summary>
public sealed class DataSetUnavailableException : Exception
{
    public DataSetUnavailableException(string message)
        : base(message)
    {
    }

    public DataSetUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
