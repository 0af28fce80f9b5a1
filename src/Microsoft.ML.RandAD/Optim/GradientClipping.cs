using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Microsoft.ML.RandAD.Optim;

/// <summary>Gradient clipping by global norm: if ‖g‖₂ &gt; max, scale every gradient by max/‖g‖₂.</summary>
public static class GradientClipping
{
    /// <summary>Clips <paramref name="gradients"/> in place and returns the norm before clipping.</summary>
    /// <param name="gradients">All gradients, flat.</param>
    /// <param name="maxNorm">The bound; 0 or less (or infinity) disables clipping.</param>
    /// <returns>‖g‖₂ before clipping (NaN when a gradient is not finite).</returns>
    // Once per step: compiled optimized at its first call, not through the tiers (see Network.Run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static float ClipByGlobalNorm(Span<float> gradients, float maxNorm)
    {
        float norm = TensorPrimitives.Norm(gradients);
        if (maxNorm > 0 && float.IsFinite(maxNorm) && norm > maxNorm)
        {
            TensorPrimitives.Multiply(gradients, maxNorm / norm, gradients);
        }

        return norm;
    }
}
