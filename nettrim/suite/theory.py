"""Sample-complexity theory for exact recovery of a planted s-sparse ReLU neuron (ε = 0).

- :func:`s_log_n_over_s` — the journal paper's order, P ≳ C·s·log(N/s) (C unspecified);
- :func:`nips_theorem3` — NIPS 2017 Theorem 3, P = (11s + 7)·µ·log N (Gaussian, sufficient);
- :func:`statistical_dimension` — δ(s, N) of the ℓ₁ descent cone at an s-sparse point
  (Amelunxen, Lotz, McCoy & Tropp 2014), and :func:`predicted_p50` = δ/q: at the planted w* the
  inactive constraints are slack, so the ε = 0 program is basis pursuit on the |Ω| ≈ qP active
  rows, whose 50% point is |Ω| ≈ δ;
- :func:`fit_p50` — the measured 50% point of an empirical success curve (logistic fit in log P);
- :func:`gordon_error_bound` — the error bound for noisy recovery (ε > 0) from Gordon's
  escape-through-the-mesh inequality on the same descent cone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_int, check_scalar

# scipy.stats and scipy.optimize are imported inside the functions that use them: together
# about a second at import, which every command (even one that refuses its config) would pay


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
        raise ValueError(f"mu must be > 1 (the bound holds with probability 1 - N^(1-mu)); "
                         f"got {mu}")
    s, N = np.asarray(s, float), np.asarray(N, float)
    return (11 * s + 7) * mu * np.log(N)


def _tail_moment(tau):
    """E[(|g| − τ)₊²] for g ~ N(0, 1), in closed form: 2[(1 + τ²)Q(τ) − τφ(τ)]."""
    from scipy import stats
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
    from scipy import optimize
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


def crossing(P, rate, level: float = 0.5) -> float:
    """The first P where ``rate`` (in order of P) reaches ``level``, interpolated in log P; NaN
    if it never does, or already does at the first P (unless exactly there).

    Parameters
    ----------
    P : array-like
        Increasing sample counts.
    rate : array-like
        Success rate (measured or predicted) at each P.
    level : float, default 0.5

    Returns
    -------
    float
    """
    P, rate = np.asarray(P, float), np.asarray(rate, float)
    above = np.flatnonzero(rate >= level)
    if above.size == 0:
        return np.nan
    i = above[0]
    if i == 0:
        return float(P[0]) if rate[0] == level else np.nan
    t = (level - rate[i - 1]) / (rate[i] - rate[i - 1])
    return float(np.exp(np.log(P[i - 1]) + t * (np.log(P[i]) - np.log(P[i - 1]))))


def gaussian_norm_mean(m: int) -> float:
    """a_m = E‖g‖₂ for g ~ N(0, I_m): √2·Γ((m + 1)/2)/Γ(m/2), between m/√(m + 1) and √m."""
    from scipy.special import gammaln

    m = check_int(m, "m", low=1)
    return float(np.sqrt(2.0) * np.exp(gammaln((m + 1) / 2) - gammaln(m / 2)))


def gordon_error_bound(epsilon: float, m: int, delta: float, t: float = 0.0) -> float:
    """Bound on ‖ŵ − w*‖₂ for noisy recovery: 2ε / (a_m − √δ − t), +∞ below the transition.

    The derivation, for the program min ‖w‖₁ s.t. ‖(Xᵀw − y)_Ω‖₂ ≤ ε, (Xᵀw)_{Ωᶜ} ≤ 0, with
    w* feasible (‖(Xᵀw* − y)_Ω‖₂ ≤ ε and (Xᵀw*)_{Ωᶜ} ≤ 0): the minimiser ŵ has
    ‖ŵ‖₁ ≤ ‖w*‖₁, so h = ŵ − w* lies in the descent cone D of ‖·‖₁ at w*; both points lie in
    the ball, so ‖Ah‖₂ ≤ 2ε with A = X_Ωᵀ (m = |Ω| rows; the Ωᶜ constraints only shrink the
    feasible set and are not used). For A with i.i.d. N(0, 1) entries, Gordon's inequality and
    Gaussian concentration (the minimum is 1-Lipschitz in A) give, with probability at least
    1 − exp(−t²/2), min over unit h ∈ D of ‖Ah‖₂ ≥ a_m − w(D ∩ S) − t, and the Gaussian width
    satisfies w(D ∩ S)² ≤ δ(D) (Amelunxen, Lotz, McCoy & Tropp 2014, Prop. 10.2). Hence
    ‖ŵ − w*‖₂ ≤ 2ε/(a_m − √δ − t) whenever a_m > √δ + t. For Net-Trim's rows — x conditioned
    on w*ᵀx > 0, so not i.i.d. Gaussian along w* — the bound is a prediction to test, not a
    theorem.

    Parameters
    ----------
    epsilon : float
        The program's ε (≥ 0).
    m : int
        Number of rows that enter the ball (|Ω|).
    delta : float
        Statistical dimension of the descent cone (e.g. :func:`statistical_dimension`).
    t : float, default 0
        Deviation: the bound holds with probability ≥ 1 − exp(−t²/2) under the Gaussian model.

    Returns
    -------
    float
        The bound, ``inf`` when a_m ≤ √δ + t (no escape: nothing is guaranteed).
    """
    epsilon = check_scalar(epsilon, "epsilon", low=0.0)
    delta = check_scalar(delta, "delta", low=0.0)
    t = check_scalar(t, "t", low=0.0)
    margin = gaussian_norm_mean(m) - np.sqrt(delta) - t
    return 2.0 * epsilon / margin if margin > 0 else float("inf")


@dataclass(frozen=True)
class P50Fit:
    """The measured 50% point of a success curve.

    Attributes
    ----------
    p50, lo, hi : float
        Estimate and confidence interval; NaN where none exists (``lo``/``hi`` NaN alone: the
        interval is open on that side within the data's range of P, widened 10× each way).
    method : str
        ``"logistic"``: the maximum-likelihood fit exists and rests on enough trials; the CI is
        the delta-method interval on log P50.
        ``"separated"``: successes and failures are (quasi-)separated in P (every failure at
        a P ≤ every success), so no finite maximum-likelihood fit exists and a point estimate
        would be fake precision: p50 is NaN, and (lo, hi) is the profile-likelihood interval
        (which contains the bracket between the largest failure P and the smallest success P
        when they differ).
        ``"insufficient"``: a fit exists but rests on fewer than ``min_trials`` trials or
        fewer than 3 of the rarer outcome: p50 is NaN, (lo, hi) the profile-likelihood
        interval.
        ``"flat"``: the success rate does not rise with P, or rises so slowly that the fitted
        P50 lies beyond the data's range of P widened 10× each way: no number.
        ``"out_of_range"``: all successes or all failures (nothing to locate): no number.
        Only ``"logistic"`` carries a point estimate, always inside its interval.
    slope : float
        Logistic slope in log P (NaN unless a finite fit exists).
    n : int
        Number of trials used.
    """

    p50: float
    lo: float
    hi: float
    method: str
    slope: float
    n: int

    @property
    def reliable(self) -> bool:
        """Whether the estimate is a proper logistic fit (the others are drawn apart)."""
        return self.method == "logistic"


def logistic_mle(x, y):
    """Maximum-likelihood logistic regression of y ∈ {0,1} on x with intercept (Newton)."""
    import warnings

    import statsmodels.api as sm  # imported lazily: a slow import for a rarely used path

    design = sm.add_constant(x, has_constant="add")
    with warnings.catch_warnings():
        # non-convergence is returned, and judged by the caller, not printed
        warnings.simplefilter("ignore")
        fit = sm.Logit(y, design).fit(disp=0, method="newton", maxiter=100)
    return fit.params, fit.cov_params(), bool(fit.mle_retvals["converged"])


def _profile_loglik(theta, x, y, n_iter: int = 80):
    """Profile log-likelihood of log P50 = θ: max over the slope b ≥ 0 of
    Σ log σ(±b(x − θ)), for every θ of a grid at once.

    For fixed θ the log-likelihood is concave in b, hence unimodal in log b: golden-section
    search on log b ∈ [−8, 10] (slopes per unit log P from 3e-4 to 2e4, the top one already
    saturating any grid), plus b = 0 (success ½ everywhere)."""
    sign = np.where(y > 0, 1.0, -1.0)
    d = sign[None, :] * (x[None, :] - theta[:, None])            # (grid, n)

    def ll(log_b):
        return -np.logaddexp(0.0, -np.exp(log_b)[:, None] * d).sum(axis=1)

    lo, hi = np.full(theta.size, -8.0), np.full(theta.size, 10.0)
    g = (np.sqrt(5) - 1) / 2
    for _ in range(n_iter):
        m1, m2 = hi - g * (hi - lo), lo + g * (hi - lo)
        left = ll(m1) > ll(m2)
        hi = np.where(left, m2, hi)
        lo = np.where(left, lo, m1)
    return np.maximum(np.maximum(ll((lo + hi) / 2), ll(hi)), -x.size * np.log(2.0))


def profile_interval(P, success, level: float = 0.95) -> tuple[float, float]:
    """Profile-likelihood interval for P50 under Pr(success) = σ(b(log P − log P50)), b ≥ 0.

    Unlike the delta method it stays honest where the maximum-likelihood fit does not exist
    (separation) or is unstable (few trials): it is {P50 : 2(ℓ_max − ℓ(P50)) ≤ χ²₁(level)}.
    Returns (lo, hi); a side is NaN when the interval is still open at the data's range of P
    widened 10× (the data cannot bound it)."""
    from scipy import stats
    x = np.log(np.asarray(P, float).ravel())
    y = np.asarray(success, bool).ravel().astype(float)
    theta = np.linspace(x.min() - np.log(10), x.max() + np.log(10), 801)
    prof = _profile_loglik(theta, x, y)
    inside = 2 * (prof.max() - prof) <= stats.chi2.ppf(level, 1)
    idx = np.flatnonzero(inside)
    lo = np.nan if idx[0] == 0 else float(np.exp(theta[idx[0]]))
    hi = np.nan if idx[-1] == theta.size - 1 else float(np.exp(theta[idx[-1]]))
    return lo, hi


def fit_p50(P, success, level: float = 0.95, *, min_trials: int = 10) -> P50Fit:
    """Fit Pr(success) = logistic(a + b·log P) and return P50 = exp(−a/b) with a CI, saying
    when that fit cannot be trusted (see :class:`P50Fit`'s ``method``).

    Parameters
    ----------
    P : array of shape (n,)
        Sample count of each trial.
    success : array of shape (n,) of bool
        Whether each trial recovered the planted neuron (undecided trials must be removed
        first: they are neither).
    level : float, default 0.95
        Confidence level.
    min_trials : int, default 10
        Fewer decided trials than this (or fewer than 3 of the rarer outcome) make a fit
        ``"insufficient"``.
    """
    from scipy import stats
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
    if largest_fail <= smallest_success:
        # (quasi-)separated: the likelihood grows without bound as the slope → ∞, so there is
        # no finite fit; a bracket midpoint as "p50" fell outside the interval when failures
        # and successes share a P (17/20 there: P50 is below it, the interval says so)
        lo, hi = profile_interval(P, y, level)
        return P50Fit(np.nan, lo, hi, "separated", np.nan, n)
    (a, b), cov, converged = logistic_mle(np.log(P), y)
    cov = np.asarray(cov)
    if not converged:
        # Newton did not settle: near-separation our bracket test did not catch; the profile
        # likelihood still bounds P50, a point estimate would be the stalled iterate's
        lo, hi = profile_interval(P, y, level)
        return P50Fit(np.nan, lo, hi, "separated", np.nan, n)
    log_p50 = -a / b if b > 0 else np.nan
    reach = np.log(10.0)
    if not (b > 0 and np.log(P.min()) - reach <= log_p50 <= np.log(P.max()) + reach):
        # success not rising with P, or so slowly that the 50% point is extrapolated far
        # beyond the data (an exp(−a/b) of 1e30, or inf): nothing located
        return P50Fit(np.nan, np.nan, np.nan, "flat", float(b), n)
    if n < min_trials or min(y.sum(), n - y.sum()) < 3:
        lo, hi = profile_interval(P, y, level)
        return P50Fit(np.nan, lo, hi, "insufficient", float(b), n)
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
           "P50Fit", "fit_p50", "profile_interval", "fit_constant",
           "crossing", "gaussian_norm_mean", "gordon_error_bound"]
