using Microsoft.ML.RandAD.Kernels;

Console.WriteLine("RandAD sample");
Console.WriteLine(KernelSettings.Describe());
