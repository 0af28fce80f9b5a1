using System.Diagnostics.CodeAnalysis;
using Microsoft.ML.RandAD.Layers;

namespace Microsoft.ML.RandAD.Model;

// Which layers the training step runs fused: pooling read through a convolution's cache, activations and ReLU masks
// applied inside a Dense product or a convolution's pass (see the class remarks).
public sealed partial class Network
{
    /// <summary>
    /// Whether a convolution followed by max pooling runs its forward pass and the pooling's as one, pooling each image's output
    /// from the cache (<see cref="Conv2DLayer.TakesPooledOutput"/>), and a convolution takes its output gradient through the
    /// pooling's winners instead of the pooling writing it out (<see cref="Conv2DLayer.TakesPooledGradient"/>); the same
    /// bits either way. On by default; tests and benchmarks turn it off to compare.
    /// </summary>
    internal bool FusesPooling
    {
        get => _fusesPooling;
        set
        {
            _fusesPooling = value;
            _widestWritten = 0; // what a step writes changes with it
        }
    }

    /// <summary>
    /// Whether layers <paramref name="i"/> and <paramref name="i"/> + 1 are a convolution and the max pooling after it that run
    /// as one forward pass (<see cref="FusesPooling"/>, <see cref="Conv2DLayer.TakesPooledOutput"/>); training and scoring both ask.
    /// </summary>
    internal bool PoolsFromCache(int i, [NotNullWhen(true)] out Conv2DLayer? convolution, [NotNullWhen(true)] out Pool2DLayer? pool)
    {
        convolution = i + 1 < _layers.Count ? _layers[i] as Conv2DLayer : null;
        pool = convolution is null ? null : _layers[i + 1] as Pool2DLayer;
        return FusesPooling && pool is not null && convolution!.TakesPooledOutput(pool);
    }

    /// <summary>
    /// Whether layer <paramref name="i"/> is a max pooling after a convolution that takes its output gradient through the
    /// pooling's winners (<see cref="Conv2DLayer.TakesPooledGradient"/>, with its input gradient unless it runs first): the
    /// pooling's input gradient is never formed.
    /// </summary>
    private bool ReadsPooledGradient(int i) =>
        i >= 1 && FusesPooling && (i == 1 || ReadsEveryPooledGradient) && _layers[i] is Pool2DLayer pool && _layers[i - 1] is Conv2DLayer convolution &&
        convolution.TakesPooledGradient(pool, withInputGradient: RunsBefore(i - 1) >= 0);

    /// <summary>
    /// Whether every convolution under max pooling that can reads its output gradient through the winners (the default), or
    /// only a first layer's, the others' poolings writing theirs out (as before the twentieth session): the same bits either
    /// way; benchmarks compare the two.
    /// </summary>
    internal bool ReadsEveryPooledGradient
    {
        get => _readsEveryPooledGradient;
        set
        {
            _readsEveryPooledGradient = value;
            _widestWritten = 0; // what a step writes changes with it
        }
    }

    private bool _readsEveryPooledGradient = true;

    /// <summary>
    /// Whether a Dense layer followed by a ReLU that keeps no mask runs both as one product (<see cref="ActivatesInProduct"/>,
    /// <see cref="MasksInProduct(int, out DenseLayer?)"/>); the same bits either way. On by default; tests and benchmarks turn it off to compare.
    /// </summary>
    internal bool FusesActivations
    {
        get => _fusesActivations;
        set
        {
            _fusesActivations = value;
            _widestWritten = 0;
        }
    }

    /// <summary>
    /// Whether layer <paramref name="i"/> is a Dense layer whose product applies the ReLU at <paramref name="i"/> + 1 (its
    /// forward pass, <see cref="DenseLayer.ForwardThroughRelu"/>): a plain ReLU (slope 0) that needs no mask of its own, as in
    /// scoring, or in training where the next layer keeps its output exactly. Training and scoring both ask.
    /// </summary>
    internal bool ActivatesInProduct(int i, bool training, [NotNullWhen(true)] out DenseLayer? dense)
    {
        dense = FusesActivations && IsMasklessRelu(i + 1, training) ? _layers[i] as DenseLayer : null;
        return dense is not null;
    }

    /// <summary>
    /// Whether layer <paramref name="i"/> is a Dense layer whose product applies the plain ReLU (slope 0) at <paramref name="i"/> +
    /// 1 that keeps a mask of its own in training (RAD: the next layer keeps a sketch of its output), packing the mask as its
    /// blocks complete (<see cref="DenseLayer.ForwardThroughReluMask"/>); the layer's outputs must fill whole bytes of bits, so
    /// the product's threads never share one.
    /// </summary>
    internal bool PacksReluMaskInProduct(int i, [NotNullWhen(true)] out DenseLayer? dense, [NotNullWhen(true)] out ReluLayer? relu)
    {
        dense = FusesActivations && i + 1 < _layers.Count && _layers[i] is DenseLayer d && d.OutputShape.Size % 8 == 0 ? d : null;
        relu = dense is not null && _layers[i + 1] is ReluLayer { NegativeSlope: 0, ReadsOutput: false } r ? r : null;
        return relu is not null;
    }

    /// <summary>
    /// Whether layer <paramref name="i"/> is a Dense layer whose input-gradient product also takes the backward pass of the ReLU
    /// before it, reading that ReLU's own mask (<see cref="DenseLayer.BackwardThroughReluMask"/>): a plain ReLU (slope 0) that
    /// keeps a mask (RAD), with a layer below it that needs its input gradient; <paramref name="relu"/> is the ReLU's index.
    /// </summary>
    internal bool MasksBitsInProduct(int i, [NotNullWhen(true)] out DenseLayer? dense, out int relu)
    {
        relu = RunsBefore(i);
        dense = FusesActivations && relu >= 0 && RunsBefore(relu) >= 0 && _layers[relu] is ReluLayer { NegativeSlope: 0, ReadsOutput: false }
            ? _layers[i] as DenseLayer : null;
        return dense is not null;
    }

    /// <summary>
    /// Whether layer <paramref name="i"/> is a plain ReLU (slope 0) that needs no mask of its own, so the layer around it can
    /// apply it: always in scoring; in training where the next layer keeps its output exactly (<see cref="ReluLayer.ReadsOutput"/>).
    /// </summary>
    private bool IsMasklessRelu(int i, bool training) =>
        i < _layers.Count && _layers[i] is ReluLayer { NegativeSlope: 0 } relu && (!training || relu.ReadsOutput);

    /// <summary>
    /// Whether layer <paramref name="i"/> is a plain ReLU (slope 0) that needs no mask of its own (scoring, or training where the
    /// next layer keeps its output exactly) after a convolution and max pooling that run as one (<see cref="PoolsFromCache"/>):
    /// then the fused pass applies it to the pooled output in the cache (<see cref="FusesActivations"/>).
    /// </summary>
    internal bool ActivatesAfterPooling(int i, bool training) =>
        FusesActivations && i >= 2 && IsMasklessRelu(i, training) && PoolsFromCache(i - 2, out _, out _);

    /// <summary>
    /// Whether layer <paramref name="i"/> is a plain ReLU (slope 0) that keeps a mask of its own in training (RAD: the next
    /// layer keeps a sketch of its output) after a convolution and max pooling that run as one, over pixels of whole bytes of
    /// bits: then the fused pass applies it to the pooled output and packs its mask while both are in the cache
    /// (<see cref="ReluLayer.BeginMask"/>); the same output and mask as its own pass.
    /// </summary>
    internal bool MasksAfterPooling(int i) =>
        FusesActivations && i >= 2 && _layers[i] is ReluLayer { NegativeSlope: 0, ReadsOutput: false } &&
        PoolsFromCache(i - 2, out _, out Pool2DLayer? pool) && pool.Geometry.Channels % 8 == 0;

    /// <summary>
    /// Whether layer <paramref name="i"/> is a convolution whose direct input gradient also takes the backward pass of the ReLU
    /// before it (<see cref="Conv2DLayer.BackwardThroughRelu"/>): a plain ReLU (slope 0) whose output this layer keeps exactly,
    /// with a layer below it that needs its input gradient.
    /// </summary>
    internal bool MasksInConvolution(int i, [NotNullWhen(true)] out Conv2DLayer? convolution)
    {
        convolution = FusesActivations && i >= 2 && IsMasklessRelu(i - 1, training: true) && _layers[i] is Conv2DLayer { TakesReluMask: true } c
            ? c : null;
        return convolution is not null;
    }

    /// <summary>
    /// Likewise for a plain ReLU that keeps a mask of its own (RAD): the convolution's input gradient applies that mask
    /// (<see cref="Conv2DLayer.BackwardThroughReluMask"/>), pixels of whole bytes of bits.
    /// </summary>
    internal bool MasksBitsInConvolution(int i, [NotNullWhen(true)] out ReluLayer? relu)
    {
        relu = FusesActivations && i >= 2 && _layers[i] is Conv2DLayer { TakesReluBits: true } && _layers[i - 1] is ReluLayer { NegativeSlope: 0, ReadsOutput: false } r
            ? r : null;
        return relu is not null;
    }

    /// <summary>
    /// Whether layer <paramref name="i"/> is a Dense layer whose input-gradient product also takes the backward pass of the ReLU
    /// before it (<see cref="DenseLayer.BackwardThroughRelu"/>): a plain ReLU (slope 0) whose output this layer keeps exactly,
    /// with a layer below it that needs its input gradient. A Flatten between them is passed over (<see cref="PassesViews"/>).
    /// </summary>
    internal bool MasksInProduct(int i, [NotNullWhen(true)] out DenseLayer? dense) => MasksInProduct(i, out dense, out _);

    /// <summary>
    /// <see cref="MasksInProduct(int, out DenseLayer?)"/>, with the ReLU's index: the layer that runs before the Dense layer,
    /// which may sit behind a Flatten (<see cref="PassesViews"/>).
    /// </summary>
    private bool MasksInProduct(int i, [NotNullWhen(true)] out DenseLayer? dense, out int relu)
    {
        relu = RunsBefore(i);
        dense = FusesActivations && relu >= 0 && RunsBefore(relu) >= 0 && IsMasklessRelu(relu, training: true) ? _layers[i] as DenseLayer : null;
        return dense is not null;
    }
}
