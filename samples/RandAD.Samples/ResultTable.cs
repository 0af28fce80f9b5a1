namespace RandAD.Samples;

/// <summary>One trained model's numbers.</summary>
internal sealed record RunResult(string Model, double Accuracy, TimeSpan TrainingTime, long? RetainedActivationBytes, double? SamplesPerSecond);

/// <summary>Prints results as a Markdown table (pasteable into the README).</summary>
internal static class ResultTable
{
    public static void Print(IReadOnlyList<RunResult> results, int trainRows, int testRows)
    {
        Console.WriteLine();
        Console.WriteLine($"Fashion-MNIST, {trainRows:N0} training rows, {testRows:N0} test rows:");
        Console.WriteLine();
        Console.WriteLine("| model | test accuracy | training time | retained activations per step | samples/s |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (RunResult r in results)
        {
            string retained = r.RetainedActivationBytes is long b ? $"{b / 1e6:F2} MB" : "-";
            string speed = r.SamplesPerSecond is double s ? $"{s:N0}" : "-";
            Console.WriteLine($"| {r.Model} | {r.Accuracy:F3} | {r.TrainingTime.TotalSeconds:F1} s | {retained} | {speed} |");
        }
    }
}
