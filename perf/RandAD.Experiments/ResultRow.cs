using System.Globalization;

namespace RandAD.Experiments;

/// <summary>
/// One line of the results CSV: a checkpoint of one training run. <see cref="Kind"/> says which figure it feeds:
/// <c>curve</c> (checkpoints during a paper run), <c>final</c> (end of a paper run, full test set), <c>tune</c>
/// (learning-rate search; test columns = the held-out split) and <c>sweep</c> (end of a memory-sweep run, full test set).
/// </summary>
internal sealed record ResultRow(
    string Kind,
    string Dataset,
    string Model,
    string Estimator,
    string Label,
    int Seed,
    int BatchSize,
    float KeepFraction,
    float LearningRate,
    int Iteration,
    double TrainLoss,
    double MinibatchLoss,
    double TestLoss,
    double TestAccuracy,
    int TestRows,
    long RetainedBytes,
    long PlannedBytes,
    double WallSeconds)
{
    public const string Curve = "curve";
    public const string Final = "final";
    public const string Tune = "tune";
    public const string Sweep = "sweep";

    public const string Header =
        "kind,dataset,model,estimator,label,seed,batch_size,keep_fraction,learning_rate,iteration," +
        "train_loss,minibatch_loss,test_loss,test_accuracy,test_rows,retained_bytes,planned_bytes,wall_seconds";

    // "R" everywhere: the plot command must rebuild exactly the tables the run printed.
    public string ToCsv() => string.Join(',',
        Kind, Dataset, Model, Estimator, Quote(Label), Seed.ToString(CultureInfo.InvariantCulture), BatchSize.ToString(CultureInfo.InvariantCulture),
        KeepFraction.ToString("R", CultureInfo.InvariantCulture), LearningRate.ToString("R", CultureInfo.InvariantCulture),
        Iteration.ToString(CultureInfo.InvariantCulture), TrainLoss.ToString("R", CultureInfo.InvariantCulture),
        MinibatchLoss.ToString("R", CultureInfo.InvariantCulture), TestLoss.ToString("R", CultureInfo.InvariantCulture), TestAccuracy.ToString("R", CultureInfo.InvariantCulture),
        TestRows.ToString(CultureInfo.InvariantCulture), RetainedBytes.ToString(CultureInfo.InvariantCulture),
        PlannedBytes.ToString(CultureInfo.InvariantCulture), WallSeconds.ToString("R", CultureInfo.InvariantCulture));

    public static ResultRow Parse(string line)
    {
        string[] f = SplitCsv(line);
        if (f.Length != 18)
        {
            throw new FormatException($"Expected 18 fields, got {f.Length}: {line}");
        }

        static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
        static int I(string s) => int.Parse(s, CultureInfo.InvariantCulture);
        return new ResultRow(
            f[0], f[1], f[2], f[3], f[4], I(f[5]), I(f[6]), (float)D(f[7]), (float)D(f[8]), I(f[9]),
            D(f[10]), D(f[11]), D(f[12]), D(f[13]), I(f[14]), long.Parse(f[15], CultureInfo.InvariantCulture), long.Parse(f[16], CultureInfo.InvariantCulture), D(f[17]));
    }

    public static List<ResultRow> ReadAll(string path) =>
        [.. File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(Parse)];

    private static string Quote(string text) => text.Contains(',') || text.Contains('"') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;

    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString());
        return [.. fields];
    }
}

/// <summary>Appends rows to the results CSV as runs finish, so an interrupted run keeps what it measured.</summary>
internal sealed class ResultWriter : IDisposable
{
    private readonly StreamWriter _writer;

    public ResultWriter(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(path, append: false) { AutoFlush = true };
        _writer.WriteLine(ResultRow.Header);
        FilePath = path;
    }

    public string FilePath { get; }

    public List<ResultRow> Rows { get; } = [];

    public void Write(IEnumerable<ResultRow> rows)
    {
        foreach (ResultRow row in rows)
        {
            _writer.WriteLine(row.ToCsv());
            Rows.Add(row);
        }
    }

    public void Dispose() => _writer.Dispose();
}
