using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using Microsoft.ML.RandAD.Kernels;

namespace Microsoft.ML.RandAD.Tests.Kernels;

/// <summary>
/// Every vector kernel that loops over data is compiled optimized from its first call. Without
/// <see cref="MethodImplOptions.AggressiveOptimization"/> it starts as tier-0 code, where each vector operation of the
/// width abstraction is a call, until on-stack replacement or tier 1 takes over: a slower first epoch, invisible to every
/// other test.
/// </summary>
[TestClass]
public sealed class KernelCompilationTests
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [TestMethod]
    public void VectorKernelsWithLoopsAreOptimizedFromTheirFirstCall()
    {
        Type[] widths = [typeof(IVectorWidth<,>), typeof(IGemmVector<>)];
        var checkedKernels = new List<string>();
        var missing = new List<string>();
        foreach (Type type in typeof(KernelSettings).Assembly.GetTypes().Where(t => t.Namespace == typeof(KernelSettings).Namespace))
        {
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
            foreach (MethodInfo method in type.GetMethods(all))
            {
                bool overWidths = method.IsGenericMethodDefinition && method.GetGenericArguments().Any(
                    a => a.GetGenericParameterConstraints().Any(c => c.IsGenericType && widths.Contains(c.GetGenericTypeDefinition())));
                byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
                if (!overWidths || il is null || !HasBackwardBranch(il))
                {
                    continue;
                }

                string name = $"{type.Name}.{method.Name}";
                checkedKernels.Add(name);
                MethodImplAttributes flags = method.MethodImplementationFlags;
                if ((flags & (MethodImplAttributes.AggressiveOptimization | MethodImplAttributes.AggressiveInlining)) == 0)
                {
                    missing.Add(name);
                }
            }
        }

        Assert.IsTrue(checkedKernels.Count > 30, $"found {checkedKernels.Count} looping vector kernels; the scan is broken");
        CollectionAssert.Contains(checkedKernels, "DirectConvolutionLanes.WeightGradientTaps12Pair", "a known kernel is seen");
        Assert.IsEmpty(missing, $"loops without AggressiveOptimization: {string.Join(", ", missing)}");
    }

    [TestMethod]
    public void TheScanSeesLoopsAndOnlyLoops()
    {
        Assert.IsTrue(HasBackwardBranch(IlOf(nameof(Looping))));
        Assert.IsFalse(HasBackwardBranch(IlOf(nameof(Straight))));
    }

    private static int Looping(int n)
    {
        int sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += i;
        }

        return sum;
    }

    private static int Straight(int n) => n > 3 ? n * 2 : n - 1;

    private static byte[] IlOf(string name) =>
        typeof(KernelCompilationTests).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!.GetMethodBody()!.GetILAsByteArray()!;

    /// <summary>Whether the IL has a branch to an earlier instruction: a loop.</summary>
    private static bool HasBackwardBranch(byte[] il)
    {
        for (int at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            OpCode op = OpCodesByValue[value];
            at += op.Size;
            switch (op.OperandType)
            {
                case OperandType.ShortInlineBrTarget:
                    if (at + 1 + (sbyte)il[at] <= at - op.Size)
                    {
                        return true;
                    }

                    at += 1;
                    break;
                case OperandType.InlineBrTarget:
                    if (at + 4 + BitConverter.ToInt32(il, at) <= at - op.Size)
                    {
                        return true;
                    }

                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                default:
                    at += 4;
                    break;
            }
        }

        return false;
    }
}
