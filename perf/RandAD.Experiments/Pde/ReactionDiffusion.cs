using System.Numerics.Tensors;

namespace RandAD.Experiments.Pde;

/// <summary>
/// The paper's scientific-computing case (Oktay et al. 2021, §5.3; ../shared/RAD-METHOD.md §6): the linear reaction-diffusion
/// equation <c>∂φ/∂t = D∇²φ + C(x, t; θ)·φ</c> on the unit square with φ = 0 on the boundary, stepped by explicit Euler,
/// <c>φ_{t+1} = Mφ_t + Δt·C_t ⊙ φ_t</c> with <c>M = I + (DΔt/Δx²)·(five-point Laplacian)</c>. The loss is the squared error
/// to a moving target, averaged over the grid's interior points and the N steps:
/// <c>L = (1/(N·d)) Σ_{t=1..N} ‖φ_t − τ_t‖²</c>.
/// </summary>
/// <remarks>
/// <para>
/// The control has seven parameters:
/// <c>C = θ0 + θ1 sin πt + θ2 cos πt + sin 2πx (θ3 sin πt + θ4 cos πt) + cos 2πx (θ5 sin πt + θ6 cos πt)</c>, and the target is
/// <c>τ = φ0 + ¼ sin 2πx sin πy sin πt</c> with <c>φ0 = sin πx sin πy</c>.
/// </para>
/// <para>
/// The gradient is the discrete adjoint: <c>λ_N = g_N</c>, <c>λ_t = g_t + A_tᵀλ_{t+1}</c> with <c>g_t = 2(φ_t − τ_t)/(N·d)</c>
/// and <c>A_t = M + Δt·diag(C_t)</c> (symmetric), and <c>∂L/∂θ_k = Δt Σ_t Σ_x λ_{t+1}(x) φ_t(x) ∂C_t(x)/∂θ_k</c>. The step's
/// Jacobian needs no stored state; the backward pass needs φ_t twice, for <c>g_t</c> and for the parameter term. That is
/// what an <see cref="IStateStore"/> keeps: every value (exact), an unbiased random sketch of it (RAD), or checkpoints from
/// which the backward pass recomputes it.
/// </para>
/// <para>Grid arrays are (n+1)×(n+1), row i = x, column j = y, with the boundary kept at zero so the stencil needs no cases.</para>
/// </remarks>
internal sealed class ReactionDiffusion
{
    public const int ParameterCount = 7;

    private readonly double[] _phi0, _targetShape, _sin2PiX, _cos2PiX;

    /// <param name="intervals">Grid intervals per side (the paper: 32, so 31×31 interior points).</param>
    /// <param name="steps">Time steps N (the paper: T / Δt = 10 · 4096 = 40,960).</param>
    /// <param name="timeStep">Δt (the paper: 1/4096).</param>
    /// <param name="diffusion">D (the paper: 0.25).</param>
    public ReactionDiffusion(int intervals = 32, int steps = 40_960, double timeStep = 1.0 / 4096, double diffusion = 0.25)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(intervals, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        Intervals = intervals;
        Steps = steps;
        TimeStep = timeStep;
        double dx = 1.0 / intervals;
        Ratio = diffusion * timeStep / (dx * dx);
        if (Ratio > 0.25)
        {
            throw new ArgumentException($"Explicit Euler is unstable here: DΔt/Δx² = {Ratio} > 1/4.");
        }

        int side = intervals + 1;
        _phi0 = new double[side * side];
        _targetShape = new double[side * side];
        _sin2PiX = new double[side];
        _cos2PiX = new double[side];
        for (int i = 0; i < side; i++)
        {
            double x = i * dx;
            _sin2PiX[i] = Math.Sin(2 * Math.PI * x);
            _cos2PiX[i] = Math.Cos(2 * Math.PI * x);
            for (int j = 1; j < intervals; j++)
            {
                double y = j * dx;
                if (i > 0 && i < intervals)
                {
                    _phi0[(i * side) + j] = Math.Sin(Math.PI * x) * Math.Sin(Math.PI * y);
                    _targetShape[(i * side) + j] = 0.25 * Math.Sin(2 * Math.PI * x) * Math.Sin(Math.PI * y);
                }
            }
        }
    }

    public int Intervals { get; }

    public int Steps { get; }

    public double TimeStep { get; }

    /// <summary>DΔt/Δx², the stencil's weight.</summary>
    public double Ratio { get; }

    /// <summary>Interior points d = (n−1)², the values a step's state holds.</summary>
    public int StateSize => (Intervals - 1) * (Intervals - 1);

    /// <summary>The paper's starting point: θ ~ U(−0.1, 0.1), then θ0 = 4.932.</summary>
    public static double[] InitialParameters(int seed)
    {
        var random = new Random(seed);
        double[] theta = new double[ParameterCount];
        for (int k = 0; k < theta.Length; k++)
        {
            theta[k] = (random.NextDouble() * 0.2) - 0.1;
        }

        theta[0] = 4.932;
        return theta;
    }

    /// <summary>
    /// The loss at <paramref name="theta"/> and, into <paramref name="gradient"/>, its gradient as the backward pass computes
    /// it from what <paramref name="store"/> kept of each φ_t (t = 1..N; φ_0 is a constant and is not kept).
    /// </summary>
    public double LossAndGradient(ReadOnlySpan<double> theta, IStateStore store, Span<double> gradient)
    {
        int side = Intervals + 1, n = Steps;
        double scale = 2.0 / ((double)n * StateSize);
        double[] error = new double[side * side];
        StateAdvance apply = Operator(theta);
        double loss = Forward(apply, store);

        // Backward: λ_N = g_N; for t = N−1 … 0 the parameter term of step t, then λ_t = g_t + A_tλ_{t+1}. What the store
        // gives back is φ_t, or an unbiased sketch of it (zero where nothing was kept): both terms are linear in it.
        double[] lambda = new double[side * side], lambdaNext = new double[side * side];
        double[] state = new double[side * side], perColumn = new double[side];
        gradient.Clear();
        store.Restore(n, state, Intervals);
        AddLossGradient(state, n, scale, lambdaNext, error);
        for (int t = n - 1; t >= 0; t--)
        {
            if (t > 0)
            {
                store.Restore(t, state, Intervals);
            }

            double[] phiT = t == 0 ? _phi0 : state; // φ_0 is a constant: never kept, never sketched
            for (int i = 1; i < Intervals; i++)
            {
                perColumn[i] = TensorPrimitives.Dot(lambdaNext.AsSpan((i * side) + 1, Intervals - 1), phiT.AsSpan((i * side) + 1, Intervals - 1));
            }

            AddParameterTerm(t, perColumn, gradient);
            if (t > 0)
            {
                apply(lambdaNext, lambda, t); // A_t is symmetric: A_tᵀλ is the same stencil
                AddLossGradient(state, t, scale, lambda, error);
                (lambda, lambdaNext) = (lambdaNext, lambda);
            }
        }

        return loss;
    }

    /// <summary>The loss alone (a forward pass), for finite differences and checks.</summary>
    public double Loss(ReadOnlySpan<double> theta) => Forward(Operator(theta), store: null);

    /// <summary>The step's operator at <paramref name="theta"/>: <c>to = A_t·from</c>, with A_t = M + Δt·diag(C_t).</summary>
    private StateAdvance Operator(ReadOnlySpan<double> theta)
    {
        double[] parameters = theta.ToArray(), control = new double[Intervals + 1];
        return (from, to, t) =>
        {
            Control(parameters, t, control);
            Step(from, to, control);
        };
    }

    /// <summary>
    /// The forward pass: the loss exactly, and each state φ_1 … φ_N to <paramref name="store"/> when there is one (which may
    /// recompute states with the same <paramref name="apply"/>).
    /// </summary>
    private double Forward(StateAdvance apply, IStateStore? store)
    {
        int side = Intervals + 1;
        double[] phi = (double[])_phi0.Clone(), next = new double[side * side], error = new double[side * side];
        store?.Begin(Steps, StateSize, apply);
        double sum = 0;
        for (int t = 0; t < Steps; t++)
        {
            apply(phi, next, t);
            (phi, next) = (next, phi);
            sum += TensorPrimitives.SumOfSquares(Error(phi, t + 1, error));
            store?.Keep(t + 1, phi, Intervals);
        }

        return sum / ((double)Steps * StateSize);
    }

    /// <summary><c>lambda += scale·(state − τ_t)</c>: the loss's gradient g_t, from φ_t or its sketch.</summary>
    private void AddLossGradient(double[] state, int t, double scale, double[] lambda, double[] error)
    {
        Span<double> run = lambda.AsSpan(InteriorFirst, InteriorLength);
        TensorPrimitives.MultiplyAdd(Error(state, t, error), scale, run, run);
    }

    /// <summary>C_t(x) for every grid column x, at time tΔt (the start of step t).</summary>
    private void Control(ReadOnlySpan<double> theta, int t, double[] c)
    {
        double time = t * TimeStep;
        double s = Math.Sin(Math.PI * time), co = Math.Cos(Math.PI * time);
        double constant = theta[0] + (theta[1] * s) + (theta[2] * co);
        double sinPart = (theta[3] * s) + (theta[4] * co), cosPart = (theta[5] * s) + (theta[6] * co);
        for (int i = 0; i < c.Length; i++)
        {
            c[i] = constant + (_sin2PiX[i] * sinPart) + (_cos2PiX[i] * cosPart);
        }
    }

    /// <summary>∂L/∂θ_k += Δt Σ_x u(x) ∂C_t(x)/∂θ_k, with u(x) = Σ_y λ_{t+1}(x, y) φ_t(x, y).</summary>
    private void AddParameterTerm(int t, double[] perColumn, Span<double> gradient)
    {
        double time = t * TimeStep;
        double s = Math.Sin(Math.PI * time), co = Math.Cos(Math.PI * time);
        double total = 0, withSin = 0, withCos = 0;
        for (int i = 1; i < Intervals; i++)
        {
            total += perColumn[i];
            withSin += _sin2PiX[i] * perColumn[i];
            withCos += _cos2PiX[i] * perColumn[i];
        }

        double dt = TimeStep;
        gradient[0] += dt * total;
        gradient[1] += dt * s * total;
        gradient[2] += dt * co * total;
        gradient[3] += dt * s * withSin;
        gradient[4] += dt * co * withSin;
        gradient[5] += dt * s * withCos;
        gradient[6] += dt * co * withCos;
    }

    /// <summary>
    /// <c>output = (M + Δt·diag(c))·input</c> on the interior; the boundary stays zero. The four neighbours are summed over the
    /// interior rows as one contiguous run (the boundary cells between rows are cleared again after), the diagonal row by row.
    /// </summary>
    private void Step(double[] input, double[] output, double[] c)
    {
        int side = Intervals + 1, inner = Intervals - 1;
        Span<double> run = output.AsSpan(InteriorFirst, InteriorLength);
        TensorPrimitives.Add(input.AsSpan(InteriorFirst - 1, InteriorLength), input.AsSpan(InteriorFirst + 1, InteriorLength), run);
        TensorPrimitives.Add(run, input.AsSpan(InteriorFirst - side, InteriorLength), run);
        TensorPrimitives.Add(run, input.AsSpan(InteriorFirst + side, InteriorLength), run);
        TensorPrimitives.Multiply(run, Ratio, run);
        double centre = 1 - (4 * Ratio);
        for (int i = 1; i < Intervals; i++)
        {
            Span<double> row = output.AsSpan((i * side) + 1, inner);
            TensorPrimitives.MultiplyAdd(input.AsSpan((i * side) + 1, inner), centre + (TimeStep * c[i]), row, row);
        }

        for (int i = 1; i < Intervals - 1; i++)
        {
            output[(i * side) + Intervals] = 0;
            output[(i + 1) * side] = 0;
        }
    }

    /// <summary>The first interior cell (1, 1) of a grid array.</summary>
    private int InteriorFirst => Intervals + 2;

    /// <summary>From cell (1, 1) to cell (n−1, n−1): the interior rows and the boundary cells between them.</summary>
    private int InteriorLength => ((Intervals - 2) * (Intervals + 1)) + Intervals - 1;

    /// <summary><c>error = state − τ_t</c> from (1, 1) to (n−1, n−1) (zero on the boundary cells between rows, where all three are).</summary>
    private Span<double> Error(double[] state, int t, double[] error)
    {
        double a = Math.Sin(Math.PI * t * TimeStep);
        Span<double> e = error.AsSpan(InteriorFirst, InteriorLength);
        TensorPrimitives.MultiplyAdd(_targetShape.AsSpan(InteriorFirst, InteriorLength), a, _phi0.AsSpan(InteriorFirst, InteriorLength), e);
        TensorPrimitives.Subtract(state.AsSpan(InteriorFirst, InteriorLength), e, e);
        return e;
    }
}
