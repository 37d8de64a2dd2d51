"""Finite-size prediction of the exact-recovery transition, from the kinematic formula.

The ε = 0 program fails exactly when the null space of its m = |Ω| active rows meets the ℓ₁
descent cone D at w* in a nonzero point: the inactive constraints are strictly slack at w*, and
the ℓ₁ ball is polyhedral, so every direction of D is feasible and descending for a small step.
For Gaussian inputs an active row x | w*ᵀx > 0 has the law of ±x, and a row's sign leaves the
null space unchanged, so given m the null space is a uniformly random subspace of codimension m
and the Crofton (kinematic) formula is exact (Amelunxen, Lotz, McCoy & Tropp 2014):

    Pr(success | m) = 1 − 2·Σ_{j = 1, 3, 5, …} v_{m+j}(D),

with v_k(D) the conic intrinsic volumes of D. At P samples m ~ Binomial(P, q), and the success
probability is the mixture. The isotropic prediction P50 ≈ δ(s, N)/q keeps only the mean of
the intrinsic-volume distribution (and the closed form δ(s, N) is an upper bound on that mean,
loose at small s); this keeps all of it, and the spread of |Ω|.

Intrinsic volumes: v_k(D) = v_{N−k}(D°) with D° = cone(∂‖w*‖₁), and for a polyhedral cone v_j
is the probability that the projection of a standard Gaussian vector lies in the relative
interior of a j-dimensional face. The projection onto D° is p_S = τσ, p_i = clip(g_i, ±τ) off
the support (:func:`nettrim.suite.cones.project_subdifferential_cone`); it lies in the face
whose free coordinates are the unsaturated ones, of dimension 1 + #{i ∉ S : |g_i| < τ} (0 at
τ = 0). One Monte Carlo over g gives every v_k at once.

The measured P50 comes from a logistic fit in log P over the cell's grid; when the predicted
curve is skewed (small s) its own 50% point and that estimator differ, so
:func:`finite_size_prediction` also returns the estimator applied to the predicted curve on the
same P values and trial counts (the comparison the measured number supports).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_int, check_scalar
from .cones import project_subdifferential_cone
from .theory import crossing

_BATCH = 20_000


def intrinsic_volumes(s: int, N: int, *, draws: int = 200_000, rng=None) -> np.ndarray:
    """Conic intrinsic volumes v_0 … v_N of the ℓ₁ descent cone at an s-sparse point of ℝᴺ,
    by Monte Carlo (module docstring).

    Parameters
    ----------
    s : int
        Sparsity, 1 ≤ s ≤ N (the signs and the support do not matter: the law of g is
        invariant under coordinate permutations and sign flips).
    N : int
        Dimension.
    draws : int, default 200000
        Gaussian draws; each v_k has Monte Carlo error ≤ 1/(2√draws).
    rng : numpy Generator or int, optional

    Returns
    -------
    ndarray of shape (N + 1,)
        v_k for k = 0 … N: non-negative, summing to 1, with Σ k·v_k = δ(D).
    """
    N = check_int(N, "N", low=1)
    s = check_int(s, "s", low=1)
    if s > N:
        raise ValueError(f"s must be <= N; got s = {s}, N = {N}")
    draws = check_int(draws, "draws", low=1)
    rng = np.random.default_rng(rng)
    counts = np.zeros(N + 1)
    for start in range(0, draws, _BATCH):
        n = min(_BATCH, draws - start)
        signs = np.zeros((n, N))
        signs[:, :s] = 1.0
        G = rng.standard_normal((n, N))
        tau = project_subdifferential_cone(G, signs)[:, 0]       # p_1 = τ·σ_1 = τ
        free = (np.abs(G[:, s:]) < tau[:, None]).sum(axis=1)
        face = np.where(tau > 0, 1 + free, 0)                      # dimension of D°'s face
        counts += np.bincount(N - face, minlength=N + 1)           # v_k(D) = v_{N−k}(D°)
    return counts / draws


def success_given_rows(v: np.ndarray) -> np.ndarray:
    """Pr(success | m active rows) for m = 0 … N from D's intrinsic volumes (Crofton formula):
    1 − 2·Σ_{j odd} v_{m+j}; 1 for m ≥ N (the null space is {0})."""
    v = np.asarray(v, float)
    N = v.size - 1
    # Monte Carlo noise can push the sum a hair past ½ where the truth is ½ (m = 0)
    return np.clip([1.0 - 2.0 * v[m + 1::2].sum() for m in range(N + 1)], 0.0, 1.0)


def success_probability(P, q: float, v: np.ndarray) -> np.ndarray:
    """Pr(success) at each sample count in ``P`` with |Ω| ~ Binomial(P, q)."""
    return mixture_probability(P, q, success_given_rows(v))


def mixture_probability(P, q: float, given: np.ndarray) -> np.ndarray:
    """Σ_m Pr(Binomial(P, q) = m)·given[min(m, N)] at each sample count in ``P``, for any
    curve ``given`` = Pr(success | m), m = 0 … N (the Crofton formula's, or a law's own,
    :mod:`nettrim.suite.certificate`)."""
    q = check_scalar(q, "q", low=0.0, low_inclusive=False, high=1.0)
    given = np.asarray(given, float)
    # Abel summation: Σ_m Pr(|Ω| = m)·g_min(m,N) = Σ_k Δg_k·Pr(|Ω| ≥ k), and Δg vanishes
    # outside the window where the Monte Carlo saw faces: one binomial tail per (P, k) there
    step = np.diff(given, prepend=0.0)
    k = np.flatnonzero(step)
    P = np.atleast_1d(np.asarray(P)).astype(int)
    tails = stats.binom.sf(k[None, :] - 1, P[:, None], q)
    return np.clip(tails @ step[k], 0.0, 1.0)   # a sum of 1 + 1e-16 is still ≤ 1


#: Monte Carlo draws behind a grid placed on the predicted curve (:func:`curve_quantiles`):
#: its P values move by about one sample between two seeds at N = 1,000.
GRID_DRAWS = 50_000


def _curve(N: int, q: float, given: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The predicted success curve on P = 1 … 4N/q + 10 (non-decreasing: Monte Carlo noise
    aside, more rows never hurt)."""
    grid = np.arange(1, int(4 * N / q) + 11)
    return grid, np.maximum.accumulate(mixture_probability(grid, q, given))


def curve_quantiles(s: int, N: int, q: float, levels, *, draws: int = GRID_DRAWS,
                    seed: int = 0) -> np.ndarray:
    """The smallest sample counts P at which the kinematic success curve reaches each of
    ``levels``: a P grid that samples the whole transition, however sharp it is at this N.

    Parameters
    ----------
    s, N : int
    q : float
        Active fraction assumed (|Ω| ~ Binomial(P, q)).
    levels : sequence of float in (0, 1)
    draws : int, default :data:`GRID_DRAWS`
    seed : int, default 0
        The intrinsic volumes use SeedSequence(seed, N, s): the grid is a function of its
        arguments (a sweep's identity holds its cells).

    Returns
    -------
    ndarray of int
        One P per level, in the order given.
    """
    levels = np.asarray([check_scalar(x, "P", low=0.0, low_inclusive=False, high=1.0,
                                      high_inclusive=False) for x in np.atleast_1d(levels)])
    v = intrinsic_volumes(s, N, draws=draws,
                          rng=np.random.default_rng(np.random.SeedSequence([seed, N, s])))
    grid, rate = _curve(N, q, success_given_rows(v))
    idx = np.minimum(np.searchsorted(rate, levels), grid.size - 1)
    return grid[idx]


def _width(a: float, b: float) -> float:
    """P90 − P10 of the logistic curve σ(a + b·log P)."""
    return float(np.exp((np.log(9) - a) / b) - np.exp((-np.log(9) - a) / b))


def finite_size_prediction(s: int, N: int, q: float, P=None, trials=None, *,
                           draws: int = 200_000, rng=None, volumes=None) -> dict:
    """The kinematic-formula P50 for a planted s-sparse neuron with active fraction q.

    Parameters
    ----------
    s, N : int
    q : float
        Active fraction (the cell's q̂).
    P, trials : array-like, optional
        The cell's sample counts and the number of decided trials at each: with them the
        prediction is also put through the measured P50's estimator (logistic fit in log P,
        :func:`nettrim.suite.theory.fit_p50`) on the expected outcomes.
    draws : int, default 200000
        Monte Carlo draws for the intrinsic volumes.
    rng : numpy Generator or int, optional
    volumes : array of shape (N + 1,), optional
        D's intrinsic volumes if already computed (:func:`intrinsic_volumes`); then ``draws``
        and ``rng`` are not used.

    Returns
    -------
    dict
        ``delta_exact`` (Σ k·v_k, the statistical dimension itself), ``p50_kinematic`` (where
        the predicted curve crosses ½, on the integers P) and, with ``P``,
        ``p50_kinematic_fit`` (the logistic estimator on that curve at the cell's P);
        ``width_kinematic`` (P90 − P10 of the curve) and, with ``P``,
        ``width_kinematic_fit`` (the same width of that logistic fit: the measured width's
        estimator on the predicted outcomes).
    """
    v = intrinsic_volumes(s, N, draws=draws, rng=rng) if volumes is None else np.asarray(volumes)
    if v.shape != (N + 1,):
        raise ValueError(f"volumes must have shape (N + 1,) = ({N + 1},); got {v.shape}")
    return {"delta_exact": float(np.arange(N + 1) @ v),
            **curve_prediction(success_given_rows(v), q, P, trials, name="kinematic")}


def curve_prediction(given: np.ndarray, q: float, P=None, trials=None, *,
                     name: str = "kinematic") -> dict:
    """P50 and 10–90% width of the P-curve made from ``given`` = Pr(success | m), m = 0 … N,
    with |Ω| ~ Binomial(P, q) (:func:`rate_prediction`, on P = 1 … 4N/q + 10)."""
    given = np.asarray(given, float)
    grid = np.arange(1, int(4 * (given.size - 1) / q) + 11)
    return rate_prediction(lambda x: mixture_probability(x, q, given), grid, P, trials,
                           name=name)


def rate_prediction(rate, grid, P=None, trials=None, *, name: str = "kinematic") -> dict:
    """P50 and 10–90% width of a predicted success curve ``rate(P)`` (a function of an
    integer array): ``p50_<name>`` and ``width_<name>`` where its running maximum on ``grid``
    crosses ½ (0.1, 0.9) and, with the cell's ``P`` and ``trials``, ``p50_<name>_fit`` and
    ``width_<name>_fit`` — the measured quantities' estimator (logistic fit in log P) applied
    to the expected outcomes, the comparison a measured P50 supports
    (:func:`finite_size_prediction`)."""
    from .theory import logistic_mle

    grid = np.asarray(grid)
    curve = np.maximum.accumulate(rate(grid))
    out = {f"p50_{name}": crossing(grid, curve),
           f"width_{name}": crossing(grid, curve, 0.9) - crossing(grid, curve, 0.1)}
    if P is not None:
        P = np.asarray(P, float)
        n = np.ones_like(P) if trials is None else np.asarray(trials, float)
        if P.shape != n.shape:
            raise ValueError(f"P and trials must have the same length; got {P.size} and "
                             f"{n.size}")
        expected = rate(P.astype(int))
        # expected outcomes: trial weights by repetition of whole counts (the fit takes rows)
        reps = np.round(n).astype(int)
        (a, b), _, converged = logistic_mle(np.repeat(np.log(P), reps),
                                            np.repeat(expected, reps))
        ok = b > 0 and converged
        out[f"p50_{name}_fit"] = float(np.exp(-a / b)) if ok else np.nan
        out[f"width_{name}_fit"] = _width(a, b) if ok else np.nan
    return out


def measured_width(P, success, level: float = 0.95) -> tuple[float, float, float]:
    """The measured transition's width P90 − P10 from the same logistic fit in log P as the
    measured P50 (:func:`nettrim.suite.theory.fit_p50`), with a delta-method interval.

    Returns
    -------
    (width, lo, hi)
        NaN when the fit does not exist (separation, no rise with P, non-convergence).
    """
    from .theory import logistic_mle

    x = np.log(np.asarray(P, float).ravel())
    y = np.asarray(success, bool).ravel().astype(float)
    if y.all() or not y.any() or x[y == 0].max() <= x[y == 1].min():
        return np.nan, np.nan, np.nan
    (a, b), cov, converged = logistic_mle(x, y)
    if not converged or b <= 0:
        return np.nan, np.nan, np.nan
    w = _width(a, b)
    h = 1e-6 * np.array([max(abs(a), 1.0), max(abs(b), 1.0)])
    grad = np.array([(_width(a + h[0], b) - _width(a - h[0], b)) / (2 * h[0]),
                     (_width(a, b + h[1]) - _width(a, b - h[1])) / (2 * h[1])])
    se = float(np.sqrt(max(grad @ np.asarray(cov) @ grad, 0.0)))
    z = stats.norm.ppf(0.5 + level / 2)
    return w, max(w - z * se, 0.0), w + z * se


def with_finite_size_prediction(trials: pd.DataFrame, summary: pd.DataFrame, *,
                                draws: int = 200_000, seed: int = 0) -> pd.DataFrame:
    """A phase-transition summary (one row per sampling, N, s) with the kinematic prediction
    added: ``delta_exact``, ``p50_kinematic``, ``p50_kinematic_fit`` (on the cell's own P
    values and decided-trial counts, from ``trials``) and ``ratio_kinematic`` = p50 /
    p50_kinematic_fit with its CI (``ratio_kinematic_lo``/``_hi`` from the P50 CI). Cell k
    uses SeedSequence(seed, N, s) (the same intrinsic volumes for every law at one (N, s))."""
    rows, widths, volumes = [], [], {}
    for _, r in summary.iterrows():
        N, s = int(r["N"]), int(r["s"])
        if (N, s) not in volumes:
            volumes[N, s] = intrinsic_volumes(s, N, draws=draws, rng=np.random.default_rng(
                np.random.SeedSequence([seed, N, s])))
        cell = trials[(trials["sampling"] == r["sampling"]) & (trials["N"] == N)
                      & (trials["s"] == s) & trials["success"].notna()]
        counts = cell.groupby("P").size()
        pred = finite_size_prediction(s, N, float(r["q_hat"]), counts.index.to_numpy(float),
                                      counts.to_numpy(float), volumes=volumes[N, s])
        rows.append(pred)
        widths.append(measured_width(cell["P"], cell["success"].astype(bool))
                      if r.get("fit", "logistic") == "logistic" else (np.nan,) * 3)
    out = pd.concat([summary.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    fit = out["p50_kinematic_fit"]
    out["ratio_kinematic"] = out["p50"] / fit
    out["ratio_kinematic_lo"] = out["p50_lo"] / fit
    out["ratio_kinematic_hi"] = out["p50_hi"] / fit
    out["width"], out["width_lo"], out["width_hi"] = np.array(widths, float).T
    pred = out["width_kinematic_fit"]
    out["ratio_width"] = out["width"] / pred
    out["ratio_width_lo"] = out["width_lo"] / pred
    out["ratio_width_hi"] = out["width_hi"] / pred
    return out


__all__ = ["GRID_DRAWS", "intrinsic_volumes", "success_given_rows", "success_probability",
           "mixture_probability", "curve_quantiles", "finite_size_prediction", "curve_prediction",
           "rate_prediction", "measured_width",
           "with_finite_size_prediction"]
