using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>Shape of a 2-D pooling over channels-last images (no padding).</summary>
/// <param name="Channels">Channels.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="Size">Window height and width.</param>
/// <param name="Stride">Step between windows.</param>
internal readonly record struct PoolGeometry(int Channels, int Height, int Width, int Size, int Stride)
{
    public int OutHeight => (Height - Size) / Stride + 1;

    public int OutWidth => (Width - Size) / Stride + 1;

    public int ImageSize => Height * Width * Channels;

    public int OutImageSize => OutHeight * OutWidth * Channels;

    /// <summary>Whether windows never overlap, so each input element receives at most one gradient.</summary>
    public bool Disjoint => Stride >= Size;

    /// <summary>Whether the windows tile the image exactly: every input element lies in exactly one window.</summary>
    public bool Tiles => Stride == Size && Height % Size == 0 && Width % Size == 0;
}

/// <summary>
/// Max and average pooling over channels-last images. Max pooling records, per output element, which window
/// position won (one byte: windows up to 16×16), so its backward pass needs neither the input nor the output.
/// </summary>
/// <remarks>
/// The channels of a pixel are contiguous, so the vector paths (<see cref="PoolingLanes"/>) take a pixel's channels a
/// vector at a time (16 channels: one 512-bit vector) and the remaining channels with the scalar code. Every path performs
/// the same operations per element in the same order as the scalar one, so all paths give bit-identical results (max:
/// strict greater-than selects, the first maximum wins and a NaN never replaces a value; backward passes add
/// into a cleared gradient in output order). Calls with many images are split over <see cref="WorkerPool"/> by whole images,
/// which cannot change any result.
/// </remarks>
internal static unsafe class Pooling
{
    private const int PartElements = 1 << 16;

    /// <summary>
    /// Max pooling; <paramref name="winners"/> (may be empty in inference) gets the window index of each maximum (first on
    /// ties). With <paramref name="relu"/> each maximum is stored as <c>MathF.Max(max, 0)</c>: the ReLU after the pooling,
    /// the same bits as <c>TensorPrimitives.Max(pooled, 0)</c> afterwards, without a second pass.
    /// </summary>
    public static void MaxForward(in PoolGeometry g, ReadOnlySpan<float> input, int count, Span<float> output, Span<byte> winners, bool relu = false)
    {
        Check(g, input.Length, output.Length, count);
        if (!winners.IsEmpty && winners.Length < (long)count * g.OutImageSize)
        {
            throw new ArgumentException($"winners holds {winners.Length} bytes; {count} images need {(long)count * g.OutImageSize}.", nameof(winners));
        }

        fixed (float* pi = input, po = output)
        fixed (byte* pw = winners)
        {
            new PoolJob(PoolKind.MaxForward, g, pi, po, pw, count, relu).Run();
        }
    }

    /// <summary>Routes each output gradient to the winning input position; overwrites <paramref name="inputGradient"/>.</summary>
    public static void MaxBackward(in PoolGeometry g, ReadOnlySpan<float> outputGradient, ReadOnlySpan<byte> winners, int count, Span<float> inputGradient)
    {
        Check(g, inputGradient.Length, outputGradient.Length, count);
        if (winners.Length < (long)count * g.OutImageSize)
        {
            throw new ArgumentException($"winners holds {winners.Length} bytes; {count} images need {(long)count * g.OutImageSize}.", nameof(winners));
        }

        fixed (float* pi = inputGradient, po = outputGradient)
        fixed (byte* pw = winners)
        {
            new PoolJob(PoolKind.MaxBackward, g, pi, po, pw, count, relu: false).Run();
        }
    }

    /// <summary>
    /// Whether <see cref="MaxBackwardImage"/> takes the pooling: 2×2 windows with stride 2 that tile the image, each input element
    /// in exactly one window.
    /// </summary>
    public static bool TakesImageBackward(in PoolGeometry g) => g.Size == 2 && g.Stride == 2 && g.Tiles;

    /// <summary>
    /// One image of <see cref="MaxBackward"/> (the same values, bit for bit) written with its rows <paramref name="rowFloats"/>
    /// apart, on the calling thread: a padded image's interior, for a kernel that reads the full-size gradient one image at a
    /// time while it is in the cache. Only where <see cref="TakesImageBackward"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static void MaxBackwardImage(in PoolGeometry g, float* pooledGradient, byte* winners, float* imageGradient, nint rowFloats, KernelPath path)
    {
        int vectorChannels = path switch
        {
            KernelPath.Vector512 => g.Channels - (g.Channels % Width512.Count),
            KernelPath.Vector256 => g.Channels - (g.Channels % Width256.Count),
            KernelPath.Vector128 => g.Channels - (g.Channels % Width128.Count),
            _ => 0,
        };
        if (vectorChannels > 0)
        {
            switch (path)
            {
                case KernelPath.Vector512:
                    PoolingLanes.MaxBackward2x2<Width512, Vector512<uint>, Vector512<float>>(g, vectorChannels, pooledGradient, winners, imageGradient, rowFloats);
                    break;
                case KernelPath.Vector256:
                    PoolingLanes.MaxBackward2x2<Width256, Vector256<uint>, Vector256<float>>(g, vectorChannels, pooledGradient, winners, imageGradient, rowFloats);
                    break;
                default:
                    PoolingLanes.MaxBackward2x2<Width128, Vector128<uint>, Vector128<float>>(g, vectorChannels, pooledGradient, winners, imageGradient, rowFloats);
                    break;
            }
        }

        if (vectorChannels < g.Channels)
        {
            PoolingLanes.MaxBackward2x2Scalar(g, vectorChannels, pooledGradient, winners, imageGradient, rowFloats);
        }
    }

    /// <summary>Average pooling.</summary>
    public static void AverageForward(in PoolGeometry g, ReadOnlySpan<float> input, int count, Span<float> output)
    {
        Check(g, input.Length, output.Length, count);
        fixed (float* pi = input, po = output)
        {
            new PoolJob(PoolKind.AverageForward, g, pi, po, null, count, relu: false).Run();
        }
    }

    /// <summary>Spreads each output gradient evenly over its window; overwrites <paramref name="inputGradient"/>.</summary>
    public static void AverageBackward(in PoolGeometry g, ReadOnlySpan<float> outputGradient, int count, Span<float> inputGradient)
    {
        Check(g, inputGradient.Length, outputGradient.Length, count);
        fixed (float* pi = inputGradient, po = outputGradient)
        {
            new PoolJob(PoolKind.AverageBackward, g, pi, po, null, count, relu: false).Run();
        }
    }

    private static void Check(in PoolGeometry g, int inputLength, int outputLength, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (g.Channels < 1 || g.Size < 1 || g.Stride < 1 || g.Size * g.Size > 256 || g.Height < g.Size || g.Width < g.Size)
        {
            throw new ArgumentException($"Pooling {g.Height}×{g.Width}×{g.Channels} images with {g.Size}×{g.Size} windows, stride {g.Stride}, is not supported.", nameof(g));
        }

        if (inputLength < (long)count * g.ImageSize || outputLength < (long)count * g.OutImageSize)
        {
            throw new ArgumentException($"{count} images need {(long)count * g.ImageSize} input and {(long)count * g.OutImageSize} output floats; got {inputLength} and {outputLength}.");
        }
    }

    private enum PoolKind
    {
        MaxForward,
        MaxBackward,
        AverageForward,
        AverageBackward,
    }

    /// <summary>One call over checked pointers. Input is the pooled images (or their gradient), output the pooled result (or its gradient).</summary>
    private struct PoolJob(PoolKind kind, PoolGeometry geometry, float* input, float* output, byte* winners, int count, bool relu) : IRangeJob
    {
        private readonly bool _relu = relu;
        private readonly PoolKind _kind = kind;
        private readonly PoolGeometry _g = geometry;
        private readonly float* _input = input, _output = output;
        private readonly byte* _winners = winners;
        private readonly int _count = count;
        private KernelPath _path;
        private int _perPart;

        public void Run()
        {
            _path = KernelSettings.Path;
            _perPart = Math.Max(1, PartElements / _g.ImageSize);
            int parts = (_count + _perPart - 1) / _perPart;
            WorkerPool.RunRanges(ref this, _count, _perPart);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
        public readonly void RunRange(int first, int count)
        {
            for (int n = first; n < first + count; n++)
            {
                float* image = _input + ((long)n * _g.ImageSize);
                float* pooled = _output + ((long)n * _g.OutImageSize);
                byte* won = _winners == null ? null : _winners + ((long)n * _g.OutImageSize);
                if (_kind is PoolKind.MaxBackward or PoolKind.AverageBackward && !_g.Tiles)
                {
                    new Span<float>(image, _g.ImageSize).Clear(); // positions outside every window get 0; overlapping windows add up
                }

                int vectorChannels = _path switch
                {
                    KernelPath.Vector512 => RunVector<Width512, Vector512<uint>, Vector512<float>>(image, pooled, won),
                    KernelPath.Vector256 => RunVector<Width256, Vector256<uint>, Vector256<float>>(image, pooled, won),
                    KernelPath.Vector128 => RunVector<Width128, Vector128<uint>, Vector128<float>>(image, pooled, won),
                    _ => 0,
                };
                if (vectorChannels < _g.Channels)
                {
                    RunScalar(image, pooled, won, vectorChannels);
                }
            }
        }

        /// <summary>Channels [0, c − c mod lanes) of one image by vectors; returns how many channels it did.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly int RunVector<TW, TU, TF>(float* image, float* pooled, byte* won)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            int channels = _g.Channels - (_g.Channels % TW.Count);
            if (channels > 0)
            {
                switch (_kind)
                {
                    case PoolKind.MaxForward:
                        PoolingLanes.MaxForward<TW, TU, TF>(_g, channels, image, pooled, won, _relu);
                        break;
                    case PoolKind.MaxBackward:
                        PoolingLanes.MaxBackward<TW, TU, TF>(_g, channels, pooled, won, image);
                        break;
                    case PoolKind.AverageForward:
                        PoolingLanes.AverageForward<TW, TU, TF>(_g, channels, image, pooled);
                        break;
                    default:
                        PoolingLanes.AverageBackward<TW, TU, TF>(_g, channels, pooled, image);
                        break;
                }
            }

            return channels;
        }

        /// <summary>The scalar path for channels [firstChannel, c) of one image: the reference the vector paths match bit for bit.</summary>
        private readonly void RunScalar(float* image, float* pooled, byte* won, int firstChannel)
        {
            switch (_kind)
            {
                case PoolKind.MaxForward:
                    PoolingLanes.MaxForwardScalar(_g, firstChannel, image, pooled, won, _relu);
                    break;
                case PoolKind.MaxBackward:
                    PoolingLanes.MaxBackwardScalar(_g, firstChannel, pooled, won, image);
                    break;
                case PoolKind.AverageForward:
                    PoolingLanes.AverageForwardScalar(_g, firstChannel, image, pooled);
                    break;
                default:
                    PoolingLanes.AverageBackwardScalar(_g, firstChannel, pooled, image);
                    break;
            }
        }
    }
}
