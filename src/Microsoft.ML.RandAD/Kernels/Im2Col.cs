using System.Runtime.Intrinsics;

namespace Microsoft.ML.RandAD.Kernels;

/// <summary>
/// Shape of a 2-D convolution over channels-last (NHWC) images.
/// </summary>
/// <param name="Channels">Input channels C.</param>
/// <param name="Height">Input height H.</param>
/// <param name="Width">Input width W.</param>
/// <param name="KernelHeight">Kernel height.</param>
/// <param name="KernelWidth">Kernel width.</param>
/// <param name="Stride">Stride (both directions).</param>
/// <param name="Padding">Zero padding (both directions, both sides).</param>
public readonly record struct ConvGeometry(int Channels, int Height, int Width, int KernelHeight, int KernelWidth, int Stride = 1, int Padding = 0)
{
    /// <summary>Output height.</summary>
    public int OutHeight => (Height + 2 * Padding - KernelHeight) / Stride + 1;

    /// <summary>Output width.</summary>
    public int OutWidth => (Width + 2 * Padding - KernelWidth) / Stride + 1;

    /// <summary>Length of one patch row of the column matrix: KernelHeight·KernelWidth·Channels.</summary>
    public int PatchSize => KernelHeight * KernelWidth * Channels;

    /// <summary>Floats in one input image (H·W·C).</summary>
    public int ImageSize => Height * Width * Channels;

    /// <summary>Output positions per image (OutHeight·OutWidth).</summary>
    public int OutPositions => OutHeight * OutWidth;

    /// <summary>Throws unless every size is positive (padding non-negative) and the padded image holds at least one kernel.</summary>
    /// <exception cref="ArgumentException">The geometry is not a valid convolution.</exception>
    public void Validate()
    {
        if (Channels < 1 || Height < 1 || Width < 1 || KernelHeight < 1 || KernelWidth < 1 || Stride < 1 || Padding < 0
            || Height + 2 * Padding < KernelHeight || Width + 2 * Padding < KernelWidth)
        {
            throw new ArgumentException($"Convolution of {Height}×{Width}×{Channels} images with a {KernelHeight}×{KernelWidth} kernel, stride {Stride}, padding {Padding} is not valid: sizes and stride must be positive, padding non-negative, and the padded image at least as large as the kernel.", "geometry");
        }
    }
}

/// <summary>
/// im2col / col2im for channels-last images. The column matrix has one row per output position
/// (image n, oh, ow) and one column per patch element (kh, kw, c), c fastest, so a convolution is the
/// product <c>cols · Wᵀ</c> with W of shape filters × PatchSize, and its output is again NHWC.
/// </summary>
/// <remarks>
/// The vector paths copy each (kh) segment of a patch row as one contiguous run of the image (KernelWidth·Channels floats
/// minus what the padding clips), with full vectors and one masked vector for the rest, for any stride. Results are
/// identical on every path: Pack only moves floats, and col2im adds the rows into each image element in ascending
/// row order, as the scalar reference does. Large calls are split over <see cref="WorkerPool"/>: Pack by
/// (image, output row) lines, col2im by whole images, so the split cannot change any sum.
/// The <c>firstImage</c> overloads process a chunk of a batch (e.g. to bound the column matrix's memory): images are indexed
/// in the whole batch span, the column matrix holds only the chunk's rows.
/// </remarks>
public static unsafe class Im2Col
{
    /// <summary>
    /// Bytes of column matrix a convolution builds at a time. Pack writes the matrix and the product reads it straight back
    /// (backward: the product writes it and col2im reads it), so a chunk should stay in the core's L2 (1 MB on Cascade Lake
    /// and Zen 4/5). Measured on the CNN benchmark (1 thread, CPU time): 512 KB chunks ran the step in 46–49 ms against
    /// 68–95 ms with 8 MB chunks, 1 MB in 50–52 ms.
    /// </summary>
    public const int ChunkBytes = 512 << 10;

    private const long PartElements = 1 << 16;

    /// <summary>Images per chunk of <see cref="ChunkBytes"/> column-matrix bytes (at least one).</summary>
    /// <param name="geometry">The convolution shape.</param>
    /// <returns>The images to pack at a time.</returns>
    public static int ChunkImages(in ConvGeometry geometry) =>
        (int)Math.Max(1, ChunkBytes / (4L * geometry.OutPositions * geometry.PatchSize));

    /// <summary>Builds the column matrix (count·OutPositions)×PatchSize; padded positions get 0.</summary>
    /// <param name="geometry">The convolution shape.</param>
    /// <param name="images">count NHWC images.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="columns">The column matrix, overwritten.</param>
    /// <exception cref="ArgumentException">The geometry is invalid or a span is too short.</exception>
    public static void Pack(in ConvGeometry geometry, ReadOnlySpan<float> images, int count, Span<float> columns) =>
        Pack(geometry, images, 0, count, columns);

    /// <summary>Builds the column matrix of images [firstImage, firstImage + count) of a batch: (count·OutPositions)×PatchSize, padded positions 0.</summary>
    /// <param name="geometry">The convolution shape.</param>
    /// <param name="images">The batch of NHWC images.</param>
    /// <param name="firstImage">Index in the batch of the first image to pack.</param>
    /// <param name="count">Number of images to pack.</param>
    /// <param name="columns">The column matrix of those images, overwritten.</param>
    /// <exception cref="ArgumentException">The geometry is invalid or a span is too short.</exception>
    public static void Pack(in ConvGeometry geometry, ReadOnlySpan<float> images, int firstImage, int count, Span<float> columns)
    {
        Check(geometry, images.Length, firstImage, count, columns.Length);
        fixed (float* pi = images)
        fixed (float* pc = columns)
        {
            var job = new Im2ColJob(geometry, pi + (long)firstImage * geometry.ImageSize, pc, count, accumulate: false, unpack: false);
            job.Run();
        }
    }

    /// <summary>col2im: overwrites <paramref name="images"/> with the sum of every column entry at its image position (padding dropped).</summary>
    /// <param name="geometry">The convolution shape.</param>
    /// <param name="columns">The column matrix (count·OutPositions)×PatchSize.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="images">count NHWC images, overwritten.</param>
    /// <exception cref="ArgumentException">The geometry is invalid or a span is too short.</exception>
    public static void Unpack(in ConvGeometry geometry, ReadOnlySpan<float> columns, int count, Span<float> images) =>
        Unpack(geometry, columns, 0, count, images);

    /// <summary>col2im into images [firstImage, firstImage + count) of a batch, overwriting them (other images untouched).</summary>
    /// <param name="geometry">The convolution shape.</param>
    /// <param name="columns">The column matrix of those images, (count·OutPositions)×PatchSize.</param>
    /// <param name="firstImage">Index in the batch of the first image.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="images">The batch of NHWC images.</param>
    /// <exception cref="ArgumentException">The geometry is invalid or a span is too short.</exception>
    public static void Unpack(in ConvGeometry geometry, ReadOnlySpan<float> columns, int firstImage, int count, Span<float> images) =>
        Unpack(geometry, columns, firstImage, count, images, accumulate: false);

    /// <summary>
    /// col2im that <em>adds</em> to <paramref name="images"/> instead of overwriting them: each image element becomes its old value
    /// plus its column entries, added in ascending row order (e.g. to sum the input gradients of two uses of one tensor).
    /// </summary>
    /// <param name="geometry">The convolution shape.</param>
    /// <param name="columns">The column matrix (count·OutPositions)×PatchSize.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="images">count NHWC images, added to.</param>
    /// <exception cref="ArgumentException">The geometry is invalid or a span is too short.</exception>
    public static void UnpackAccumulate(in ConvGeometry geometry, ReadOnlySpan<float> columns, int count, Span<float> images) =>
        Unpack(geometry, columns, 0, count, images, accumulate: true);

    /// <summary>Accumulating col2im (see <see cref="UnpackAccumulate(in ConvGeometry, ReadOnlySpan{float}, int, Span{float})"/>) into images [firstImage, firstImage + count) of a batch.</summary>
    /// <param name="geometry">The convolution shape.</param>
    /// <param name="columns">The column matrix of those images.</param>
    /// <param name="firstImage">Index in the batch of the first image.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="images">The batch of NHWC images, added to.</param>
    /// <exception cref="ArgumentException">The geometry is invalid or a span is too short.</exception>
    public static void UnpackAccumulate(in ConvGeometry geometry, ReadOnlySpan<float> columns, int firstImage, int count, Span<float> images) =>
        Unpack(geometry, columns, firstImage, count, images, accumulate: true);

    private static void Unpack(in ConvGeometry geometry, ReadOnlySpan<float> columns, int firstImage, int count, Span<float> images, bool accumulate)
    {
        Check(geometry, images.Length, firstImage, count, columns.Length);
        fixed (float* pi = images)
        fixed (float* pc = columns)
        {
            var job = new Im2ColJob(geometry, pi + (long)firstImage * geometry.ImageSize, (float*)pc, count, accumulate, unpack: true);
            job.Run();
        }
    }

    private static void Check(in ConvGeometry g, int imagesLength, int firstImage, int count, int columnsLength)
    {
        g.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(firstImage);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        long imagesNeeded = (long)(firstImage + count) * g.ImageSize;
        if (imagesLength < imagesNeeded)
        {
            throw new ArgumentException($"images has {imagesLength} floats; images [{firstImage}, {firstImage + count}) of {g.Height}×{g.Width}×{g.Channels} need {imagesNeeded}.", "images");
        }

        long columnsNeeded = (long)count * g.OutPositions * g.PatchSize;
        if (columnsLength < columnsNeeded)
        {
            throw new ArgumentException($"columns has {columnsLength} floats; {count} images × {g.OutPositions} positions × {g.PatchSize} patch elements need {columnsNeeded}.", "columns");
        }
    }

    /// <summary>One call; a part is a range of (image, output row) lines for Pack, of whole images for col2im.</summary>
    private struct Im2ColJob(ConvGeometry geometry, float* images, float* columns, int count, bool accumulate, bool unpack) : IRangeJob
    {
        private readonly ConvGeometry _g = geometry;
        private readonly float* _images = images, _columns = columns;
        private readonly bool _accumulate = accumulate, _unpack = unpack;
        private KernelPath _path;
        private int _span, _perPart;

        public void Run()
        {
            _path = KernelSettings.Path;
            _span = _unpack ? count : count * _g.OutHeight;
            long work = (long)count * _g.OutPositions * _g.PatchSize;
            int parts = (int)Math.Clamp(work / PartElements, 1, Math.Max(1, _span));
            _perPart = (_span + parts - 1) / parts;
            WorkerPool.RunRanges(ref this, _span, _perPart);
        }

        public readonly void RunRange(int first, int count)
        {
            if (_unpack && !_accumulate)
            {
                new Span<float>(_images + (long)first * _g.ImageSize, count * _g.ImageSize).Clear();
            }

            switch (_path)
            {
                case KernelPath.Vector512:
                    RunVector<Width512, Vector512<uint>, Vector512<float>>(first, count);
                    break;
                case KernelPath.Vector256:
                    RunVector<Width256, Vector256<uint>, Vector256<float>>(first, count);
                    break;
                case KernelPath.Vector128:
                    RunVector<Width128, Vector128<uint>, Vector128<float>>(first, count);
                    break;
                default:
                    // The scalar path: the reference every vector path is tested against.
                    if (_unpack)
                    {
                        Im2ColLanes.UnpackAdd(_g, _columns, _images, first, count);
                    }
                    else
                    {
                        Im2ColLanes.Pack(_g, _images, _columns, first, count);
                    }

                    break;
            }
        }

        private readonly void RunVector<TW, TU, TF>(int first, int count)
            where TW : IVectorWidth<TU, TF>
            where TU : unmanaged
            where TF : unmanaged
        {
            if (_unpack)
            {
                Im2ColLanes.UnpackAdd<TW, TU, TF>(_g, _columns, _images, first, count);
            }
            else
            {
                Im2ColLanes.Pack<TW, TU, TF>(_g, _images, _columns, first, count);
            }
        }
    }
}
