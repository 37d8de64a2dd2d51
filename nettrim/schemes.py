"""Net-Trim over a whole network: the parallel and the cascade scheme, with their error bounds.

Both return the pruned :class:`~nettrim.network.Network` and a per-layer report whose
``bound`` column is the consistency bound for that layer and ``bound_held`` whether the pruned
network's signal discrepancy ‖Ŷ⁽ℓ⁾ − Y⁽ℓ⁾‖_F stayed within it (up to the solvers' certified
feasibility tolerance, :func:`_tolerance`; the recursion restarts from the achieved discrepancy
of layer ℓ−1 where that exceeds b_{ℓ−1}, see :func:`_finish`). The bounds, in general
(non-normalised) form, with ‖·‖₂ the spectral norm (≤ ‖·‖_F ≤ the entrywise ℓ₁ norm the
paper uses, so these imply the paper's statements):

- parallel (Theorem 1): b₁ = ε₁,  b_ℓ = ε_ℓ + ‖Ŵ_ℓ‖₂·b_{ℓ−1}  (ReLU and the bias are
  1-Lipschitz / cancel, and layer ℓ alone is within ε_ℓ by Proposition 1);
- cascade (Theorem 2): b₁ = ε₁,  b_ℓ = √γ_ℓ·‖W_ℓ‖₂·b_{ℓ−1} for ReLU layers, since
  ε_ℓ² = γ_ℓ‖(W_ℓᵀŶ⁽ℓ⁻¹⁾ + b_ℓ − Y⁽ℓ⁾)_Ω‖² and V = W_ℓᵀŶ⁽ℓ⁻¹⁾ + b_ℓ caps the inactive part;
  a linear last layer is within its own ε_L = κ·√γ_L·‖W_LᵀŶ⁽ᴸ⁻¹⁾ + b_L − Y⁽ᴸ⁾‖ when feasible.

The relaxed cap (``cap="relaxed"``, beyond the paper): V = max(W_ℓᵀŶ⁽ℓ⁻¹⁾ + b_ℓ, 0). It is a
larger feasible set, so the pruned layer is at least as sparse, and Theorem 2 still holds. Write
z = W_ℓᵀŷ + b_ℓ for one neuron on one sample, ŷ the pruned and y the original input, û the
pruned weights (bias included). W_ℓ stays feasible (z ≤ max(z, 0)). On Ω the residual is within
ε_ℓ as before. On Ωᶜ the original output is 0, i.e. W_ℓᵀy + b_ℓ ≤ 0, so

    ReLU(ûᵀŷ) ≤ max(z, 0) ≤ max(z − (W_ℓᵀy + b_ℓ), 0) ≤ |W_ℓᵀ(ŷ − y)|,

the same inequality the paper's cap gives (there ReLU(ûᵀŷ) ≤ ReLU(z)). Adding the two parts,
‖Ŷ⁽ℓ⁾ − Y⁽ℓ⁾‖² ≤ γ_ℓ‖(W_ℓᵀ(Ŷ − Y))_Ω‖² + ‖(W_ℓᵀ(Ŷ − Y))_Ωᶜ‖² ≤ γ_ℓ‖W_ℓ‖₂²‖Ŷ⁽ℓ⁻¹⁾ − Y⁽ℓ⁻¹⁾‖²,
so b_ℓ = √γ_ℓ‖W_ℓ‖₂b_{ℓ−1} with either cap (tests/test_properties.py checks it on random
networks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._validation import check_bool, check_int, check_scalar
from .network import PATCHES, Network
from .problem import LayerProblem
from .prune import solve
from .registry import Registry
from .solvers.base import configure

if TYPE_CHECKING:  # pandas is imported where a report is built, not at `import nettrim`
    import pandas as pd

#: Relative slack when checking a bound (solvers meet ε only to their feasibility tolerance).
BOUND_RTOL = 1e-3
#: The cascade's caps on the inactive set Ωᶜ: the paper's V = W_ℓᵀŶ⁽ℓ⁻¹⁾ + b_ℓ, or its
#: positive part (see the module docstring for why Theorem 2 holds with both).
CAPS = ("linear", "relaxed")
#: The cascade's default γ (the paper's γ_ℓ > 1 of Theorem 2: ε_ℓ² = γ‖…‖²): one value,
#: used wherever a cascade is configured without one.
GAMMA = 1.1
#: A cascade ε_ℓ below this fraction of ‖Y⁽ℓ⁾‖_F is round-off of an exactly reproduced input
#: (HiGHS's own feasibility tolerance is 1e-7) and is set to 0, so the layer stays noiseless.
ROUNDOFF_RTOL = 1e-7
#: The solvers' certified feasibility tolerance (:meth:`LayerProblem.evaluate`'s ``rtol``): a
#: "converged" U may exceed the ball by FEAS_RTOL·max(ε, 0.01‖Y‖) and each Ωᶜ constraint by
#: FEAS_RTOL·max|Y|, so Proposition 1 holds up to that much (see :func:`_tolerance`).
FEAS_RTOL = 1e-4


@dataclass
class NetworkResult:
    """A pruned network and its per-layer report (one row per layer).

    ``search`` holds the trials of :func:`prune_to_discrepancy` (one row per gain tried).
    """

    network: Network
    report: pd.DataFrame
    search: pd.DataFrame | None = None

    @property
    def converged(self) -> bool:
        """Every layer's solve converged (only then is the pruned network a certified result)."""
        return bool((self.report["status"] == "converged").all())


def relative_discrepancy(net: Network, pruned: Network, X) -> float:
    """ε_rd = ‖Z − Ẑ‖_F / ‖Z‖_F: how far the pruned network's outputs on X are from the
    original's, relative to the original's (the supplement's measure).

    Parameters
    ----------
    net, pruned : Network
        The original and the pruned network.
    X : array of shape (n₀, P)
        Inputs, one sample per column.

    Returns
    -------
    float
    """
    Z, Z_hat = net.forward(X)[-1], pruned.forward(X)[-1]
    return float(np.linalg.norm(Z_hat - Z) / np.linalg.norm(Z))


def _layer_problem(net, layer, Y_in, Y_out, epsilon, V=None):
    # a layer built without a bias is pruned without one: it comes back as it went in
    return LayerProblem(Y_in, Y_out, epsilon, bias=net.has_bias[layer], V=V,
                        linear=not net.is_relu(layer))


def _split(W_aug, net, layer):
    """(weights, bias) of a layer's solution (the bias its last row when it has one)."""
    if net.has_bias[layer]:
        return W_aug[:-1], W_aug[-1]
    return W_aug, np.zeros(W_aug.shape[1])


def _epsilons(signals, gain, epsilons, L):
    if epsilons is not None:
        eps = [check_scalar(e, f"epsilons[{i}]", low=0.0) for i, e in enumerate(epsilons)]
        if len(eps) != L:
            raise ValueError(f"epsilons must have one entry per layer ({L}); got {len(eps)}")
        return eps
    gain = check_scalar(gain, "gain", low=0.0)
    return [gain * float(np.linalg.norm(Y)) for Y in signals[1:]]


def _solve_layer(problem, solver, options, zero_tol, warm=None):
    """(W, status, info, evaluation, state) of one layer's program: W with the solver's
    round-off zeroed (:func:`_sparsify`), and the evaluation of that W — the weights the
    pruned network gets, not the solver's iterate."""
    res = solve(problem, solver, **options, **({"warm": warm} if warm is not None else {}))
    W = _sparsify(res.W, zero_tol)
    return W, res.status, res.info, problem.evaluate(W), res.state


def _configure(solver, options: dict):
    """The solver value (options checked once, for every layer) and the keywords each layer's
    :func:`~nettrim.prune.solve` gets: the per-solve arguments and ``blas_threads``."""
    options = dict(options)
    call = {"blas_threads": options.pop("blas_threads")} if "blas_threads" in options else {}
    solver, runtime = configure(solver, options)
    return solver, {**runtime, **call}


def _row(layer, net, W_new, eps, status, info, rep):
    return {"layer": layer + 1, "nnz_before": int(np.count_nonzero(net.weights[layer])),
            "nnz_after": int(np.count_nonzero(W_new)), "epsilon": eps, "status": status,
            "iterations": info.get("iterations", np.nan), "time": info.get("time", np.nan),
            "layer_error": rep.relu_error, "feasible": rep.feasible}


#: The largest ``zero_tol``: zeroing entries above 0.1% of a layer's largest weight is no
#: longer removing round-off but pruning by magnitude (zero_tol = 1 erased every weight).
ZERO_TOL_MAX = 1e-3


def _check_zero_tol(zero_tol) -> float:
    return check_scalar(zero_tol, "zero_tol", low=0.0, high=ZERO_TOL_MAX)


def _sparsify(W, zero_tol):
    """Entries below zero_tol·max|W| are set to zero: the solver's iterate is sparse only up
    to round-off, and a pruned network must really have the zeros it reports."""
    W = W.copy()
    W[np.abs(W) <= zero_tol * (np.abs(W).max() or 1.0)] = 0.0
    return W


def _tolerance(Y, eps):
    """How far past ε a solution the solvers call feasible may put ‖Ŷ − Y‖_F (Proposition 1
    with the ball and the Ωᶜ constraints each met only to FEAS_RTOL)."""
    norm = float(np.linalg.norm(Y))
    return FEAS_RTOL * (max(eps, 0.01 * norm) + np.sqrt(Y.size) * float(np.abs(Y).max()))


def _finish(net, pruned, X, rows, steps):
    """Pruned network and report. ``steps[ℓ] = (a_ℓ, c_ℓ)``: layer ℓ's bound is
    b_ℓ = a_ℓ + c_ℓ·max(b_{ℓ−1}, e_{ℓ−1}), e the achieved discrepancy. Using the achieved
    e_{ℓ−1} when it is larger (it can be, by the solvers' tolerance) keeps each layer's check
    about that layer; a layer that overshot its own bound is flagged on its own row.

    ``steps[ℓ] = None`` marks a convolution: its program covers only the sampled patches
    before the pooling, so no bound on the pooled signal is claimed (``bound`` NaN);
    ``bound_held`` is then the solver's certified feasibility on its patches (Proposition 1
    there), and the next layer's bound starts again from the achieved e_ℓ."""
    new = net.with_weights([W for W, _ in pruned], [b for _, b in pruned])
    orig, hat = net.forward(X), new.forward(X)
    import pandas as pd  # the reports are tables; pandas is imported where one is built

    report = pd.DataFrame(rows)
    achieved = [float(np.linalg.norm(h - o)) for h, o in zip(hat[1:], orig[1:])]
    bounds, held, prev = [], [], 0.0
    for step, e, Y, eps, feasible in zip(steps, achieved, orig[1:], report["epsilon"],
                                         report["feasible"]):
        if step is None:
            bounds.append(np.nan)
            held.append(bool(feasible))
            prev = e
            continue
        a, c = step
        b = a + c * prev
        bounds.append(b)
        held.append(e <= b * (1 + BOUND_RTOL) + _tolerance(Y, eps))
        prev = max(b, e)
    report["achieved"] = achieved
    report["bound"] = bounds
    report["bound_held"] = held
    return NetworkResult(new, report)


def _layer_data(net, i, Y_in, Y_out, positions):
    """Layer i's program data on the input signal Y_in (output signal Y_out): (X, Y) with Y
    the layer's ReLU (or linear) response to X; for a convolution X are the patches at
    ``positions`` and Y the filters' ReLU there, before the pooling."""
    X = net.layer_inputs(i, Y_in, positions)
    if net.convs[i] is None:
        return X, Y_out
    return X, np.maximum(net.weights[i].T @ X + net.biases[i][:, None], 0.0)


def prune_parallel(net: Network, X, *, gain: float = 0.05, epsilons=None, solver="admm",
                  n_jobs: int = 1, zero_tol: float = 1e-6, patches: int | None = PATCHES,
                  **options) -> NetworkResult:
    """Prune every layer on the original network's signals (the parallel scheme).

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
        Input batch, one sample per column.
    gain : float, default 0.05
        ε_ℓ = gain·‖Y⁽ℓ⁾‖_F, unless ``epsilons`` gives them explicitly.
    epsilons : sequence of float, optional
    solver : Solver or str, default "admm"
        A configured solver (``nettrim.ADMM(max_iter=5000)``) or a registered name, then
        configured with ``options`` (checked once, here, not per layer).
    n_jobs : int
        Layers are independent here and are solved concurrently (joblib).
    zero_tol : float
        Weights with |w| ≤ zero_tol·max|W_ℓ| are set to zero in the pruned network (at
        most ``ZERO_TOL_MAX`` = 1e-3: round-off, not pruning by magnitude).
    patches : int or None, default :data:`~nettrim.network.PATCHES`
        Patch positions a convolution layer's program samples
        (:meth:`Network.positions <nettrim.network.Network.positions>`; None: all).
    **options
        Passed to the solver (e.g. ``max_iter``, ``gap_tol``).

    Returns
    -------
    NetworkResult
        The pruned network and one report row per layer (nonzeros, ε, status, time, the
        Theorem 1 bound and whether it held; for a convolution see :func:`_finish`).
    """
    solver, options = _configure(solver, options)
    data = _parallel_data(net, X, patches)
    eps = _epsilons([None] + [Y for _, Y in data], gain, epsilons, net.n_layers)
    problems = [_layer_problem(net, i, Xi, Yi, eps[i]) for i, (Xi, Yi) in enumerate(data)]
    from joblib import Parallel, delayed

    zero_tol = _check_zero_tol(zero_tol)
    results = Parallel(n_jobs=n_jobs)(delayed(_solve_layer)(p, solver, options, zero_tol)
                                      for p in problems)
    return _parallel_result(net, X, results, eps)


def _parallel_data(net, X, patches):
    """Every layer's program data (X_ℓ, Y_ℓ) on the original network's signals."""
    signals = net.forward(X)
    return [_layer_data(net, i, signals[i], signals[i + 1],
                        net.positions(i, X.shape[1], patches)) for i in range(net.n_layers)]


def _parallel_result(net, X, results, eps):
    """The pruned network and report from the layers' :func:`_solve_layer` answers."""
    pruned, rows, steps = [], [], []
    for i, (W_aug, status, info, rep, _) in enumerate(results):
        W, bias = _split(W_aug, net, i)
        pruned.append((W, bias))
        rows.append(_row(i, net, W, eps[i], status, info, rep))
        # b_ℓ = ε_ℓ + ‖Ŵ_ℓ‖₂·b_{ℓ−1}
        steps.append(None if net.convs[i] is not None else (eps[i], np.linalg.norm(W, 2)))
    return _finish(net, pruned, X, rows, steps)


def prune_path(net: Network, X, gains, *, solver="admm", warm_start: bool = False,
               zero_tol: float = 1e-6, patches: int | None = PATCHES,
               **options) -> list[NetworkResult]:
    """The parallel scheme at several gains, each layer's program data set up once.

    Gains are solved in increasing order. With ``warm_start`` each layer's solve starts from
    its solution, multipliers and ρ at the next smaller gain (solvers that return a
    ``state``, i.e. ADMM): that solution is feasible for the looser ball. It is off by
    default because it did not pay where it was measured: on the MNIST LeNet-300-100's
    layer 1 (785·300, P = 5,000) six gains 0.02–0.3 took 1.46× longer warm than cold (2,130
    iterations against 840 at gain 0.3; results/bench_scale). The results are those of
    :func:`prune_parallel` at each gain (certified by the same test, so equal to the
    solvers' tolerance), in the order of ``gains``.

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
    gains : sequence of float
        ε_ℓ = gain·‖Y⁽ℓ⁾‖_F for each gain (≥ 0, at least one).
    solver : Solver or str, default "admm"
        As in :func:`prune_parallel`.
    warm_start : bool, default False
        Start each gain's solves from the previous gain's (the same answers, by another
        route).
    zero_tol, patches, **options
        As in :func:`prune_parallel`.

    Returns
    -------
    list of NetworkResult
        One per gain, in the order given.
    """
    gains = [check_scalar(g, f"gains[{i}]", low=0.0) for i, g in enumerate(np.atleast_1d(gains))]
    if not gains:
        raise ValueError("gains must hold at least one gain; got none")
    warm_start = check_bool(warm_start, "warm_start")
    zero_tol = _check_zero_tol(zero_tol)
    solver, options = _configure(solver, options)
    data = _parallel_data(net, X, patches)
    states, out = [None] * net.n_layers, {}
    for j in np.argsort(gains, kind="stable"):
        eps = _epsilons([None] + [Y for _, Y in data], gains[j], None, net.n_layers)
        results = []
        for i, (Xi, Yi) in enumerate(data):
            results.append(_solve_layer(_layer_problem(net, i, Xi, Yi, eps[i]), solver,
                                        options, zero_tol, states[i] if warm_start else None))
            states[i] = results[-1][-1]
        out[j] = _parallel_result(net, X, results, eps)
    return [out[j] for j in range(len(gains))]


def prune_cascade(net: Network, X, *, gain: float = 0.05, epsilon1: float | None = None,
                 gamma=GAMMA, kappa: float = 1.0, epsilon_last: float | None = None,
                 cap: str = "linear", solver="admm", zero_tol: float = 1e-6,
                 patches: int | None = PATCHES, **options) -> NetworkResult:
    """Prune layer by layer on the already-pruned signals (the cascade scheme).

    Layer 1 uses ε₁ = gain·‖Y⁽¹⁾‖_F (or ``epsilon1``). Layer ℓ ≥ 2 is solved on Ŷ⁽ℓ⁻¹⁾ with
    V = W_ℓᵀŶ⁽ℓ⁻¹⁾ + b_ℓ and ε_ℓ² = γ_ℓ‖(W_ℓᵀŶ⁽ℓ⁻¹⁾ + b_ℓ − Y⁽ℓ⁾)_Ω‖², so the original W_ℓ
    is always feasible; a linear last layer's ε is further multiplied by ``kappa`` ∈ (0, 1]
    (below 1, feasibility of W_L is no longer guaranteed).

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
        Input batch, one sample per column.
    gain : float, default 0.05
        ε₁ = gain·‖Y⁽¹⁾‖_F, unless ``epsilon1`` gives it.
    epsilon1 : float, optional
        Layer 1's ε explicitly.
    gamma : float ≥ 1 or sequence (one per layer ≥ 2), default 1.1
    kappa : float in (0, 1], default 1
    epsilon_last : float, optional
        Explicit ε for a linear last layer instead of κ·√γ·‖…‖: e.g. t·‖Z‖_F to keep the
        relative logit discrepancy below t. Like κ < 1, it may leave the layer infeasible.
    cap : {"linear", "relaxed"}, default "linear"
        The cap V on a ReLU layer's inactive set: the paper's W_ℓᵀŶ⁽ℓ⁻¹⁾ + b_ℓ ("linear") or
        its positive part ("relaxed": a larger feasible set, so at least as sparse, with the
        same Theorem 2 bound; proof in this module's docstring).
    solver : Solver or str, default "admm"
        A configured solver (``nettrim.ADMM(max_iter=5000)``) or a registered name, then
        configured with ``options`` (checked once, here, not per layer).
    zero_tol : float
        Weights with |w| ≤ zero_tol·max|W_ℓ| are set to zero in the pruned network (at
        most ``ZERO_TOL_MAX`` = 1e-3: round-off, not pruning by magnitude).
    patches : int or None, default :data:`~nettrim.network.PATCHES`
        Patch positions a convolution layer's program samples (the same positions on the
        original and the pruned signal; None: all).
    **options
        Passed to the solver.

    Returns
    -------
    NetworkResult
        The pruned network and one report row per layer (nonzeros, ε, status, time, the
        Theorem 2 bound and whether it held; for a convolution see :func:`_finish`).
    """
    L = net.n_layers
    gammas = [gamma] * (L - 1) if np.isscalar(gamma) else list(gamma)
    if len(gammas) != L - 1:
        raise ValueError(f"gamma must be a number or have {L - 1} entries (layers 2..L)")
    gammas = [check_scalar(g, "gamma", low=1.0) for g in gammas]
    kappa = check_scalar(kappa, "kappa", low=0.0, low_inclusive=False, high=1.0)
    zero_tol = _check_zero_tol(zero_tol)
    if cap not in CAPS:
        raise ValueError(f"cap must be one of {list(CAPS)}; got {cap!r}")
    solver, options = _configure(solver, options)
    signals = net.forward(X)
    positions = [net.positions(i, X.shape[1], patches) for i in range(L)]
    Y1 = _layer_data(net, 0, signals[0], signals[1], positions[0])[1]
    eps1 = (check_scalar(epsilon1, "epsilon1", low=0.0) if epsilon1 is not None
            else check_scalar(gain, "gain", low=0.0) * float(np.linalg.norm(Y1)))

    pruned, rows, steps = [], [], []
    Y_hat = signals[0]
    for i in range(L):
        conv = net.convs[i] is not None
        X_hat = net.layer_inputs(i, Y_hat, positions[i])
        Y = _layer_data(net, i, signals[i], signals[i + 1], positions[i])[1]
        V = None
        if i == 0:
            eps = eps1
            steps.append(None if conv else (eps1, 0.0))
        else:
            Z = net.weights[i].T @ X_hat + net.biases[i][:, None]
            mask = Y > 0 if net.is_relu(i) else np.ones_like(Y, bool)
            eps = float(np.sqrt(gammas[i - 1]) * np.linalg.norm((Z - Y)[mask]))
            if eps <= ROUNDOFF_RTOL * np.linalg.norm(Y):
                eps = 0.0
            if net.is_relu(i):
                V = Z if cap == "linear" else np.maximum(Z, 0.0)  # b_ℓ = √γ_ℓ‖W_ℓ‖₂·b_{ℓ−1}
                steps.append(None if conv else
                             (0.0, np.sqrt(gammas[i - 1]) * np.linalg.norm(net.weights[i], 2)))
            else:
                eps = (check_scalar(epsilon_last, "epsilon_last", low=0.0)
                       if epsilon_last is not None else eps * kappa)
                steps.append((eps, 0.0))  # within its own ε when feasible
        W_aug, status, info, rep, _ = _solve_layer(_layer_problem(net, i, X_hat, Y, eps, V),
                                                   solver, options, zero_tol)
        W, bias = _split(W_aug, net, i)
        pruned.append((W, bias))
        rows.append(_row(i, net, W, eps, status, info, rep))
        Y_hat = net.apply_layer(i, Y_hat, W, bias) if i < L - 1 else None
    return _finish(net, pruned, X, rows, steps)


#: The paper's two schemes, by name (:func:`prune_network` runs one).
SCHEMES = Registry("scheme")
SCHEMES.register("parallel")(prune_parallel)
SCHEMES.register("cascade")(prune_cascade)

#: Keywords that only the cascade takes (its γ, κ, caps and ε₁): :func:`prune_network` gives
#: them to the schemes that take them and leaves them out for the others.
CASCADE_ONLY = ("epsilon1", "gamma", "kappa", "epsilon_last", "cap")


def prune_network(net: Network, X, scheme: str = "cascade", **kwargs) -> NetworkResult:
    """Prune with the scheme registered as ``scheme`` (:data:`SCHEMES`).

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
    scheme : {"cascade", "parallel"}, default "cascade"
    **kwargs
        Passed to the scheme: ``gain``, ``solver`` and its options, ... The cascade's own
        keywords (:data:`CASCADE_ONLY`: ``gamma``, ``kappa``, ``cap``, ``epsilon1``,
        ``epsilon_last``) are ignored by the parallel scheme, so one set of settings can run
        both.

    Returns
    -------
    NetworkResult
    """
    fn = SCHEMES.get(scheme)
    if fn is not prune_cascade:
        kwargs = {k: v for k, v in kwargs.items() if k not in CASCADE_ONLY}
    return fn(net, X, **kwargs)


def prune_to_discrepancy(net: Network, X, target: float, *, scheme: str = "cascade",
                        gain: float | None = None, max_steps: int = 6, accept: float = 0.85,
                        **kwargs) -> NetworkResult:
    """Prune with the largest gain found whose relative output discrepancy ε_rd ≤ ``target``.

    ε_rd grows about linearly with the gain g (ε₁ = g‖Y⁽¹⁾‖_F for the cascade, every
    ε_ℓ = g‖Y⁽ℓ⁾‖_F for the parallel scheme), so each step moves g along the secant through
    the origin, g ← g·accept'·target/ε_rd with accept' halfway between ``accept`` and 1,
    kept inside the bracket of the gains already known to pass and to fail (geometric
    midpoint when it would leave it). The search stops when accept·target ≤ ε_rd ≤ target or
    after ``max_steps`` prunings.

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
    target : float > 0
        Largest acceptable ε_rd (the supplement uses 0.02).
    scheme : {"cascade", "parallel"}
    gain : float, optional
        First gain tried (default target/10).
    max_steps : int, default 6
    accept : float in (0, 1), default 0.85
    **kwargs
        Passed to the scheme (``gamma``, ``solver``, solver options, ...).

    Returns
    -------
    NetworkResult
        The passing pruning with the largest gain (or, if none passed, the one with the
        smallest ε_rd: check ``search``), its ``search`` table with one row per gain tried:
        gain, discrepancy, nnz_after, converged, bound_held, chosen (the row returned).
    """
    SCHEMES.get(scheme)  # an unknown name is refused before any pruning
    target = check_scalar(target, "target", low=0.0, low_inclusive=False)
    accept = check_scalar(accept, "accept", low=0.0, low_inclusive=False, high=1.0,
                          high_inclusive=False)
    max_steps = check_int(max_steps, "max_steps", low=1)
    g = target / 10 if gain is None else check_scalar(gain, "gain", low=0.0,
                                                      low_inclusive=False)
    lo, hi = 0.0, np.inf          # largest passing gain, smallest failing gain
    rows, results = [], []
    for _ in range(max_steps):
        res = prune_network(net, X, scheme, gain=g, **kwargs)
        e = relative_discrepancy(net, res.network, X)
        results.append(res)
        rows.append({"gain": g, "discrepancy": e, "nnz_after": int(res.report["nnz_after"].sum()),
                     "converged": res.converged,
                     "bound_held": bool(res.report["bound_held"].all())})
        if e <= target:
            lo = max(lo, g)
            if e >= accept * target:
                break
        else:
            hi = min(hi, g)
        step = np.clip((1 + accept) / 2 * target / e, 0.1, 10.0) if e > 0 else 10.0
        g_next = g * step
        if not lo < g_next < hi:
            g_next = np.sqrt(lo * hi) if lo > 0 and np.isfinite(hi) else g_next
        g = float(g_next)
    import pandas as pd

    search = pd.DataFrame(rows)
    passing = search["discrepancy"] <= target
    chosen = search.loc[passing, "gain"].idxmax() if passing.any() \
        else search["discrepancy"].idxmin()
    search["chosen"] = search.index == chosen
    res = results[chosen]
    res.search = search
    return res


__all__ = ["NetworkResult", "SCHEMES", "CASCADE_ONLY", "prune_network", "prune_parallel",
           "prune_cascade", "prune_path",
           "relative_discrepancy", "prune_to_discrepancy"]
