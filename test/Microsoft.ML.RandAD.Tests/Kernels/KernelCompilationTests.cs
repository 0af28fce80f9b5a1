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
        var checkedKernels = new List<string>();
        var missing = new List<string>();
        foreach (Type type in typeof(KernelSettings).Assembly.GetTypes().Where(t => t.Namespace == typeof(KernelSettings).Namespace))
        {
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
            foreach (MethodInfo method in type.GetMethods(all))
            {
                byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
                if (!IsOverWidths(method) || il is null || !HasBackwardBranch(il))
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

    /// <summary>
    /// Optimized-from-the-first-call code runs as compiled only when it is not inlined into tiered code. Inlined into a
    /// caller that tier 1 recompiles with dynamic profile data, a kernel's loop is compiled again in that caller's
    /// context: on AVX2 the 6×16 GEMM tile, inlined up into <c>Sgemm.Run</c>, lost its inner <c>StoreRow</c> calls to
    /// the inlining budget, and the calls made the JIT store ten of its twelve accumulators to the stack on every k step
    /// (one-thread 1024³ at 0.3–0.4× of OpenBLAS instead of 0.96–0.98×). So every such method that a tiered method
    /// calls must be <see cref="MethodImplOptions.NoInlining"/>; those called only from other optimized code may inline.
    /// </summary>
    [TestMethod]
    public void OptimizedCodeIsNeverInlinedIntoTieredCode()
    {
        Assembly library = typeof(KernelSettings).Assembly;
        var offenders = new SortedSet<string>();
        int edges = 0;
        foreach (MethodBase caller in AllMethods(library))
        {
            if (caller.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization))
            {
                continue;
            }

            foreach (MethodBase callee in Callees(caller))
            {
                MethodBase definition = callee is MethodInfo { IsGenericMethod: true } generic ? generic.GetGenericMethodDefinition() : callee;
                MethodImplAttributes flags = definition.MethodImplementationFlags;
                if (definition.Module.Assembly != library || !flags.HasFlag(MethodImplAttributes.AggressiveOptimization))
                {
                    continue;
                }

                edges++;
                if (!flags.HasFlag(MethodImplAttributes.NoInlining))
                {
                    offenders.Add($"{definition.DeclaringType!.Name}.{definition.Name} (called from {caller.DeclaringType!.Name}.{caller.Name})");
                }
            }
        }

        Assert.IsTrue(edges > 20, $"found {edges} calls from tiered into optimized code; the scan is broken");
        Assert.IsEmpty(offenders, $"optimized methods a tiered method may inline: {string.Join(", ", offenders)}");
    }

    /// <summary>
    /// The vector helpers and loops optimized code calls are optimized too, or inlined into it: a helper over a vector width
    /// that is neither runs as tier-0 code (every width operation a call) and then as a call per vector. The Adam update's
    /// subnormal flush did, taking more of an MLP step's profile than the update itself. A loop called a few hundred times a
    /// step (an image's padding, a row's softmax) stays tier-0 code through much of the first epoch, as its calls are too
    /// short for on-stack replacement.
    /// </summary>
    [TestMethod]
    public void OptimizedCodeCallsOnlyOptimizedOrInlinedCode()
    {
        Assembly library = typeof(KernelSettings).Assembly;
        var offenders = new SortedSet<string>();
        int edges = 0;
        foreach (MethodBase caller in AllMethods(library))
        {
            if (!caller.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveOptimization))
            {
                continue;
            }

            foreach (MethodBase callee in Callees(caller).SelectMany(c => Implementations(library, c)))
            {
                if (callee.Module.Assembly != library || !(IsOverWidths(callee) || HasLoop(callee)))
                {
                    continue;
                }

                edges++;
                if ((callee.MethodImplementationFlags & (MethodImplAttributes.AggressiveOptimization | MethodImplAttributes.AggressiveInlining)) == 0)
                {
                    offenders.Add($"{callee.DeclaringType!.Name}.{callee.Name} (called from {caller.DeclaringType!.Name}.{caller.Name})");
                }
            }
        }

        Assert.IsTrue(edges > 20, $"found {edges} calls from optimized code; the scan is broken");
        Assert.IsEmpty(offenders, $"tiered methods optimized code calls: {string.Join(", ", offenders)}");
    }

    /// <summary>
    /// The JIT does not inline a method with a <c>stackalloc</c>, whatever its attributes say: the AVX2 GEMM tiles' row
    /// stores, marked <see cref="MethodImplOptions.AggressiveInlining"/> but spilling partial tiles to a stack buffer, were a
    /// call at the end of every tile, the twelve accumulators passed on the stack (a 50176×25×16 product ran 10 % slower).
    /// A method meant to be inlined keeps its <c>stackalloc</c> in an out-of-line callee.
    /// </summary>
    [TestMethod]
    public void MethodsMeantToBeInlinedHaveNoStackalloc()
    {
        int inlined = 0;
        var offenders = new SortedSet<string>();
        foreach (MethodBase method in AllMethods(typeof(KernelSettings).Assembly))
        {
            if (!method.MethodImplementationFlags.HasFlag(MethodImplAttributes.AggressiveInlining)
                || method.GetMethodBody()?.GetILAsByteArray() is not byte[] il)
            {
                continue;
            }

            inlined++;
            if (HasStackalloc(il))
            {
                offenders.Add($"{method.DeclaringType!.Name}.{method.Name}");
            }
        }

        Assert.IsTrue(inlined > 50, $"found {inlined} methods marked for inlining; the scan is broken");
        Assert.IsEmpty(offenders, $"methods marked for inlining with a stackalloc, which the JIT will not inline: {string.Join(", ", offenders)}");
    }

    [TestMethod]
    public void TheScanSeesStackalloc()
    {
        Assert.IsTrue(HasStackalloc(IlOf(nameof(Allocating))));
        Assert.IsFalse(HasStackalloc(IlOf(nameof(Looping))));
    }

    /// <summary>
    /// A method that picks the kernel path compiles only the running path's loop: each width's loop is a method of its own
    /// (not inlined), so the dispatcher is small and the other widths are never compiled. With the three widths' loops inlined,
    /// the exponential's dispatcher took 25 ms to compile in the first step and the GEMM epilogue's another 25.
    /// </summary>
    [TestMethod]
    public void PathDispatchersDoNotInlineEveryWidthsLoop()
    {
        Assembly library = typeof(KernelSettings).Assembly;
        var offenders = new SortedSet<string>();
        int dispatchers = 0;
        foreach (MethodBase caller in AllMethods(library))
        {
            var widths = new HashSet<Type>();
            var inlinedLoops = new HashSet<Type>();
            foreach (MethodBase callee in Callees(caller))
            {
                // A width as a type argument of the method (Lanes<Width512, …>) or of its type (Job<Width512>.Run).
                Type[] typeArguments = [
                    .. callee.IsGenericMethod ? callee.GetGenericArguments() : [],
                    .. callee.DeclaringType is { IsGenericType: true } type ? type.GetGenericArguments() : []];
                if (callee.Module.Assembly != library || typeArguments.FirstOrDefault(IsWidth) is not Type width)
                {
                    continue;
                }

                widths.Add(width);
                if (!callee.MethodImplementationFlags.HasFlag(MethodImplAttributes.NoInlining) && HasLoop(callee))
                {
                    inlinedLoops.Add(width);
                }
            }

            if (widths.Count > 1)
            {
                dispatchers++;
            }

            if (inlinedLoops.Count > 1)
            {
                offenders.Add($"{caller.DeclaringType!.Name}.{caller.Name} ({inlinedLoops.Count} widths)");
            }
        }

        Assert.IsTrue(dispatchers > 10, $"found {dispatchers} methods that call more than one width; the scan is broken");
        Assert.IsEmpty(offenders, $"dispatchers that may inline a loop for each width: {string.Join(", ", offenders)}");
    }

    [TestMethod]
    public void TheCallScanSeesCalls()
    {
        MethodBase looping = typeof(KernelCompilationTests).GetMethod(nameof(Looping), BindingFlags.NonPublic | BindingFlags.Static)!;
        MethodBase calling = typeof(KernelCompilationTests).GetMethod(nameof(CallsLooping), BindingFlags.NonPublic | BindingFlags.Static)!;
        CollectionAssert.Contains(Callees(calling).ToList(), looping);
        Assert.IsEmpty(Callees(looping).ToList());
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

    private static unsafe int Allocating(int n)
    {
        int* buffer = stackalloc int[4];
        buffer[n & 3] = n;
        return buffer[0];
    }

    private static int Straight(int n) => n > 3 ? n * 2 : n - 1;

    private static int CallsLooping(int n) => Looping(n) + 1;

    /// <summary>
    /// The method definitions a call to <paramref name="callee"/> may run: itself, or for a static abstract interface member
    /// (a constrained call through a type parameter) the same-named methods of every type in <paramref name="library"/> that
    /// implements the interface.
    /// </summary>
    private static IEnumerable<MethodBase> Implementations(Assembly library, MethodBase callee)
    {
        MethodBase definition = callee is MethodInfo { IsGenericMethod: true } generic ? generic.GetGenericMethodDefinition() : callee;
        Type declaring = definition.DeclaringType!;
        if (!declaring.IsInterface || !definition.IsStatic)
        {
            return [definition];
        }

        Type contract = declaring.IsGenericType ? declaring.GetGenericTypeDefinition() : declaring;
        const BindingFlags statics = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return library.GetTypes()
            .Where(t => !t.IsInterface && t.GetInterfaces().Any(i => (i.IsGenericType ? i.GetGenericTypeDefinition() : i) == contract))
            .SelectMany(t => t.GetMethods(statics).Where(m => m.Name == definition.Name || m.Name.EndsWith("." + definition.Name, StringComparison.Ordinal)));
    }

    /// <summary>Whether <paramref name="method"/> has a body with a loop (a backward branch in its IL).</summary>
    private static bool HasLoop(MethodBase method) => method.GetMethodBody()?.GetILAsByteArray() is byte[] il && HasBackwardBranch(il);

    /// <summary>Whether <paramref name="type"/> is a concrete vector width (a <see cref="IVectorWidth{TU, TF}"/> or <see cref="IGemmVector{TVec}"/>).</summary>
    private static bool IsWidth(Type type) =>
        !type.IsGenericParameter && type.GetInterfaces().Any(
            i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(IVectorWidth<,>) || i.GetGenericTypeDefinition() == typeof(IGemmVector<>)));

    /// <summary>Whether <paramref name="method"/> is generic over a vector width (<see cref="IVectorWidth{TU, TF}"/> or <see cref="IGemmVector{TVec}"/>).</summary>
    private static bool IsOverWidths(MethodBase method)
    {
        Type[] widths = [typeof(IVectorWidth<,>), typeof(IGemmVector<>)];
        return method.IsGenericMethodDefinition && method.GetGenericArguments().Any(
            a => a.GetGenericParameterConstraints().Any(c => c.IsGenericType && widths.Contains(c.GetGenericTypeDefinition())));
    }

    private static IEnumerable<MethodBase> AllMethods(Assembly assembly)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        foreach (Type type in assembly.GetTypes())
        {
            foreach (MethodBase method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                yield return method;
            }
        }
    }

    /// <summary>The methods <paramref name="caller"/>'s IL calls directly (<c>call</c>, <c>callvirt</c>, <c>newobj</c>).</summary>
    private static IEnumerable<MethodBase> Callees(MethodBase caller)
    {
        byte[]? il = caller.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        Type[]? typeArguments = caller.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        Type[]? methodArguments = caller.IsGenericMethod ? caller.GetGenericArguments() : null;
        foreach ((OpCode op, int operand) in Instructions(il))
        {
            if (op == OpCodes.Call || op == OpCodes.Callvirt || op == OpCodes.Newobj)
            {
                yield return caller.Module.ResolveMethod(BitConverter.ToInt32(il, operand), typeArguments, methodArguments)!;
            }
        }
    }

    private static byte[] IlOf(string name) =>
        typeof(KernelCompilationTests).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!.GetMethodBody()!.GetILAsByteArray()!;

    /// <summary>Whether the IL has a branch to an earlier instruction: a loop. (An offset counts from the next instruction, so in valid IL a negative one lands at or before the branch.)</summary>
    private static bool HasBackwardBranch(byte[] il) => Instructions(il).Any(i =>
        (i.Op.OperandType == OperandType.ShortInlineBrTarget && (sbyte)il[i.Operand] < 0)
        || (i.Op.OperandType == OperandType.InlineBrTarget && BitConverter.ToInt32(il, i.Operand) < 0));

    /// <summary>Whether the IL allocates on the stack (<c>localloc</c>, what C#'s <c>stackalloc</c> compiles to).</summary>
    private static bool HasStackalloc(byte[] il) => Instructions(il).Any(i => i.Op == OpCodes.Localloc);

    /// <summary>Each instruction of <paramref name="il"/>: its opcode and where its operand starts.</summary>
    private static IEnumerable<(OpCode Op, int Operand)> Instructions(byte[] il)
    {
        for (int at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            OpCode op = OpCodesByValue[value];
            at += op.Size;
            yield return (op, at);
            at += op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
                _ => 4,
            };
        }
    }
}
