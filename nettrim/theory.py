"""Sample-complexity theory for exact recovery of a planted s-sparse ReLU neuron (ε = 0).

- :func:`s_log_n_over_s` — the journal paper's order, P ≳ C·s·log(N/s) (C unspecified);
- :func:`nips_theorem3` — NIPS 2017 Theorem 3, P = (11s + 7)·µ·log N (Gaussian, sufficient);
- :func:`statistical_dimension` — δ(s, N) of the ℓ₁ descent cone at an s-sparse point
  (Amelunxen, Lotz, McCoy & Tropp 2014), and :func:`predicted_p50` = δ/q: at the planted w* the
  inactive constraints are slack, so the ε = 0 program is basis pursuit on the |Ω| ≈ qP active
  rows, whose 50% point is |Ω| ≈ δ;
- :func:`fit_p50` — the measured 50% point of an empirical success curve (logistic fit in log P).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from ._validation import check_int


def s_log_n_over_s(s, N):
    """s·log(N/s), the order of the journal paper's bound (natural log)."""
    s, N = np.asarray(s, float), np.asarray(N, float)
    return s * np.log(N / s)


def nips_theorem3(s, N, mu: float = 2.0):
    """P = (11s + 7)·µ·log N: NIPS Theorem 3's sample count for Gaussian inputs.

    With that many samples the planted neuron is the unique solution with probability at least
    1 − N^{1−µ}; µ = 2 gives 1 − 1/N.
    """
    if not mu > 1:
        raise ValueError(f"mu must be > 1 (the bound holds with probability 1 - N^(1-mu)); got {mu}")
    s, N = np.asarray(s, float), np.asarray(N, float)
    return (11 * s + 7) * mu * np.log(N)


def _tail_moment(tau):
    """E[(|g| − τ)₊²] for g ~ N(0, 1), in closed form: 2[(1 + τ²)Q(τ) − τφ(τ)]."""
    return 2 * ((1 + tau**2) * stats.norm.sf(tau) - tau * stats.norm.pdf(tau))


def _dist2(tau, s, N):
    """E dist²(g, τ·∂‖w*‖₁) for g ~ N(0, I_N) and an s-sparse w*."""
    return s * (1 + tau**2) + (N - s) * _tail_moment(tau)


def statistical_dimension(s: int, N: int) -> float:
    """δ(s, N): statistical dimension of the ℓ₁ descent cone at an s-sparse vector in ℝᴺ.

    δ = inf_{τ≥0} E dist²(g, τ∂‖w*‖₁) = inf_τ [s(1 + τ²) + (N − s)·E(|g| − τ)₊²]; the
    function of τ is convex, so a bounded scalar minimisation finds the infimum. δ(0, N) = 0,
    δ(N, N) = N, and δ increases with s.
    """
    N = check_int(N, "N", low=1)
    s = check_int(s, "s", low=0)
    if s > N:
        raise ValueError(f"s must be <= N; got s = {s}, N = {N}")
    if s == 0:
        return 0.0
    if s == N:
        return float(N)
    # the minimiser lies in [0, τ_max]: beyond ~√(2 log(N/s)) + 3 the s(1+τ²) term only grows
    upper = np.sqrt(2 * np.log(N / s)) + 3.0
    res = optimize.minimize_scalar(_dist2, bounds=(0.0, upper), args=(s, N), method="bounded",
                                   options={"xatol": 1e-10})
    return float(min(res.fun, _dist2(0.0, s, N)))


def predicted_p50(s: int, N: int, q: float = 0.5) -> float:
    """Predicted 50% sample count δ(s, N)/q, for a fraction q of active (y > 0) samples."""
    if not 0 < q <= 1:
        raise ValueError(f"q (the active fraction) must be in (0, 1]; got {q}")
    return statistical_dimension(s, N) / q


@dataclass(frozen=True)
class P50Fit:
    """The measured 50% point of a success curve.

    Attributes
    ----------
    p50, lo, hi : float
        Estimate and confidence interval (NaN when no estimate exists).
    method : str
        ``"logistic"`` (maximum likelihood, CI by the delta method), ``"separated"`` (the
        successes and failures are separated in P: p50 is the geometric mean of the largest
        all-failure and the smallest all-success P, which bound the interval), or
        ``"out_of_range"`` (all successes or all failures: nothing to locate).
    slope : float
        Logistic slope in log P (NaN unless ``method == "logistic"``).
    n : int
        Number of trials used.
    """

    p50: float
    lo: float
    hi: float
    method: str
    slope: float
    n: int


def _logistic_mle(x, y):
    """Maximum-likelihood logistic regression of y ∈ {0,1} on x with intercept (Newton)."""
    import statsmodels.api as sm  # imported lazily: a slow import for a rarely used path

    design = sm.add_constant(x, has_constant="add")
    fit = sm.Logit(y, design).fit(disp=0, method="newton", maxiter=100)
    return fit.params, fit.cov_params()


def fit_p50(P, success, level: float = 0.95) -> P50Fit:
    """Fit Pr(success) = logistic(a + b·log P) and return P50 = exp(−a/b) with a CI.

    Parameters
    ----------
    P : array of shape (n,)
        Sample count of each trial.
    success : array of shape (n,) of bool
        Whether each trial recovered the planted neuron (undecided trials must be removed
        first: they are neither).
    level : float, default 0.95
        Confidence level; the interval is the delta-method interval on log P50.
    """
    P = np.asarray(P, float).ravel()
    y = np.asarray(success, bool).ravel().astype(float)
    if P.shape != y.shape:
        raise ValueError(f"P and success must have the same length; got {P.size} and {y.size}")
    if P.size == 0 or np.any(P <= 0):
        raise ValueError("P must be a non-empty array of positive sample counts")
    n = P.size
    if y.all() or not y.any():
        return P50Fit(np.nan, np.nan, np.nan, "out_of_range", np.nan, n)
    largest_fail, smallest_success = P[y == 0].max(), P[y == 1].min()
    if largest_fail < smallest_success:  # perfectly separated: no finite MLE
        return P50Fit(float(np.sqrt(largest_fail * smallest_success)), float(largest_fail),
                      float(smallest_success), "separated", np.nan, n)
    (a, b), cov = _logistic_mle(np.log(P), y)
    cov = np.asarray(cov)
    if not b > 0:  # success falling with P: the curve has no transition to locate
        return P50Fit(np.nan, np.nan, np.nan, "out_of_range", float(b), n)
    log_p50 = -a / b
    grad = np.array([-1 / b, a / b**2])
    se = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
    z = stats.norm.ppf(0.5 + level / 2)
    return P50Fit(float(np.exp(log_p50)), float(np.exp(log_p50 - z * se)),
                  float(np.exp(log_p50 + z * se)), "logistic", float(b), n)


def fit_constant(s, N, p50) -> float:
    """Least-squares C in P50 ≈ C·s·log(N/s) (through the origin), over finite P50 values."""
    x = s_log_n_over_s(s, N)
    p50 = np.asarray(p50, float)
    ok = np.isfinite(p50) & (x > 0)
    if not ok.any():
        return np.nan
    return float((x[ok] @ p50[ok]) / (x[ok] @ x[ok]))


__all__ = ["s_log_n_over_s", "nips_theorem3", "statistical_dimension", "predicted_p50",
           "P50Fit", "fit_p50", "fit_constant"]
