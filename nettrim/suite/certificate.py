"""The fewest active rows that certify a planted neuron: the transition of any input law.

The ε = 0 program recovers w* exactly when basis pursuit on its active rows A (m × N) does
(:mod:`nettrim.suite.kinematic`: the inactive constraints are slack at w*), and basis pursuit
recovers an s-sparse w* with support S and signs σ, uniquely, iff A_S is injective and a dual
certificate exists (Fuchs 2004; Candès & Plan 2011):

    t*(A) = min { ‖A_Sᶜᵀλ‖_∞ : A_Sᵀλ = σ } < 1,

a linear program in λ ∈ ℝᵐ and t that is smaller than the recovery program itself and needs
no value of w* beyond S and σ. Adding a row adds a coordinate to λ, so t* never grows with m:
on one nested draw of rows the outcome is a threshold m* (the fewest rows that certify), found
by bisection in about log₂ N programs, and the empirical law of m* over draws *is*
Pr(success | m) for every m at once.

For Gaussian rows that curve is the Crofton formula's (:func:`nettrim.suite.kinematic.
success_given_rows`); for any other law whose active rows are, up to sign, i.i.d. draws of the
law (every sign-symmetric law: x ↦ −x swaps active and inactive), it is the law's own
finite-size curve, and m ~ Binomial(P, q) turns it into the P-curve as before. For a law with
a mean the active rows are draws of x | w*ᵀx > 0 — the same machinery with a conditioned row
sampler, one w* at a time.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np
import pandas as pd
from scipy import optimize

from .._validation import check_int

#: t* must clear 1 by this much to count: ties t* = 1 (possible for ±1 rows) are failures
#: (no unique solution), and HiGHS's own tolerances are ~1e-7.
STRICT = 1e-6


def certificate_gap(A: np.ndarray, support: np.ndarray, signs: np.ndarray,
                    B: np.ndarray | None = None) -> float:
    """t*(A, B) = min ‖A_Sᶜᵀλ − B_Sᶜᵀμ‖_∞ subject to A_Sᵀλ − B_Sᵀμ = σ, μ ≥ 0; +∞ when A_S is
    not injective.

    Parameters
    ----------
    A : ndarray of shape (m, N)
        Active rows (equalities x_pᵀw = y_p), one per sample.
    support : ndarray of int, shape (s,)
    signs : ndarray of shape (s,)
        σ = sign(w*_S), each ±1.
    B : ndarray of shape (k, N), optional
        Inactive rows that are tight at w* (x_pᵀw* = 0, so x_pᵀw ≤ 0 binds): possible only
        for laws with an atom, such as non-negative inputs that vanish on S. Their
        multipliers μ are signed, as an inequality's are.

    Returns
    -------
    float
        < 1: a strict certificate, w* the unique minimiser (sufficient; with B empty also
        necessary); ≤ 1: w* is a minimiser.
    """
    m, N = A.shape
    B = np.zeros((0, N)) if B is None else np.asarray(B, float)
    off = np.ones(N, bool)
    off[support] = False
    A_S = A[:, support]                           # columns in the order of ``signs``
    if m < A_S.shape[1] or np.linalg.matrix_rank(A_S) < A_S.shape[1]:
        return np.inf
    # a row's scale is the scale of its multiplier, not of the problem: unit rows condition
    # the LP (a design with a near-singular Σ_w has rows of very different lengths)
    def unit(R):
        norms = np.linalg.norm(R, axis=1)
        return R[norms > 0] / norms[norms > 0, None]

    A, B = unit(A), unit(B)
    m, k, s, n_off = A.shape[0], B.shape[0], len(support), int(off.sum())
    # variables (λ, μ, t): minimise t subject to ±(A_Sᶜᵀλ − B_Sᶜᵀμ) − t ≤ 0, A_Sᵀλ − B_Sᵀμ = σ
    G = np.c_[A[:, off].T, -B[:, off].T]
    ones = np.ones((n_off, 1))
    problem = dict(c=np.r_[np.zeros(m + k), 1.0],
                   A_ub=np.block([[G, -ones], [-G, -ones]]), b_ub=np.zeros(2 * n_off),
                   A_eq=np.c_[A[:, support].T, -B[:, support].T, np.zeros(s)],
                   b_eq=np.asarray(signs, float),
                   bounds=[(None, None)] * m + [(0, None)] * (k + 1))
    for method in ("highs", "highs-ipm"):       # the interior point where simplex stalls
        res = optimize.linprog(**problem, method=method)
        if res.status == 0:
            return float(res.fun)
    raise RuntimeError(f"the certificate LP did not solve (HiGHS status {res.status}: "
                       f"{res.message})")


def certifies(A, support, signs, *, unique: bool = True) -> bool:
    """Whether the rows A certify the support and signs: t* < 1 − :data:`STRICT` (w* the
    unique minimiser), or with ``unique=False`` t* ≤ 1 + :data:`STRICT` (w* *a* minimiser,
    perhaps one of many — a tie, which rows with atoms such as ±1 make possible; an LP solver
    may then return w* or another vertex)."""
    t = certificate_gap(A, support, signs)
    return t < 1.0 - STRICT if unique else t <= 1.0 + STRICT


def _first(ok, floor: int, m_max: int, start: int) -> int:
    """The smallest m in (floor, m_max] with ok(m), for a monotone ok known false at floor;
    m_max + 1 if none. Doubling steps away from ``start`` bracket it, bisection finishes."""
    m, step = int(np.clip(start, floor + 1, m_max)), 1
    if ok(m):                               # walk down until a count fails
        hi, lo = m, m - step
        while lo > floor and ok(lo):
            hi, step = lo, 2 * step
            lo = hi - step
        lo = max(lo, floor)
    else:                                   # walk up until a count certifies
        lo, hi = m, m + step
        while hi <= m_max and not ok(hi):
            lo, step = hi, 2 * step
            hi = lo + step
        if hi > m_max:
            if lo == m_max or not ok(m_max):
                return m_max + 1
            hi = m_max
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def rows_needed(rows: np.ndarray, support, signs, start: int | None = None) -> tuple[int, int]:
    """The fewest leading rows of ``rows`` (m_max × N) that certify (S, σ): uniquely, and as
    a minimiser (:func:`certifies`; the two differ only on ties); m_max + 1 when even all of
    them do not (a censored draw).

    t*(m) never grows with m, so each count is bracketed by doubling steps away from
    ``start`` (a guess such as δ(s, N); default m_max) and bisected: about
    2·log₂(|m* − start| + 1) + 1 programs, most smaller than m_max rows; the second search
    reuses the first one's programs.
    """
    m_max, s = rows.shape[0], len(support)
    gap = functools.cache(lambda m: certificate_gap(rows[:m], support, signs))
    start = m_max if start is None else start
    # fewer than s rows cannot be injective: s − 1 is a known failure
    unique = _first(lambda m: gap(m) < 1.0 - STRICT, s - 1, m_max, start)
    tie = _first(lambda m: gap(m) <= 1.0 + STRICT, s - 1, m_max, min(unique, m_max))
    return unique, tie


def row_thresholds(draw_rows, N: int, s: int, *, draws: int, m_max: int,
                   start: int | None = None, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """The thresholds of :func:`rows_needed` for ``draws`` independent draws: a uniform support
    of size s with fair signs, and ``m_max`` rows from ``draw_rows(rng, m_max, N)`` (an array
    of shape (m_max, N)); ``start`` is the searches' first count, which changes the cost, not
    the result.

    Returns
    -------
    unique, minimiser : ndarray of int, shape (draws,)
        Values in s … m_max, or m_max + 1 for a draw that m_max rows do not certify;
        minimiser ≤ unique.
    """
    N = check_int(N, "N", low=1)
    s = check_int(s, "s", low=1)
    if s > N:
        raise ValueError(f"s must be <= N; got s = {s}, N = {N}")
    draws = check_int(draws, "draws", low=1)
    m_max = check_int(m_max, "m_max", low=s)
    rng = np.random.default_rng(rng)
    out = np.empty((2, draws), int)
    for i in range(draws):
        support = rng.permutation(N)[:s]
        signs = rng.choice([-1.0, 1.0], size=s)
        rows = np.asarray(draw_rows(rng, m_max, N), float)
        if rows.shape != (m_max, N):
            raise ValueError(f"draw_rows must return shape (m_max, N) = ({m_max}, {N}); "
                             f"got {rows.shape}")
        out[:, i] = rows_needed(rows, support, signs, start)
    return out[0], out[1]


def success_given_rows(thresholds, N: int, m_max: int) -> np.ndarray:
    """Pr(success | m) for m = 0 … N: the empirical law of the thresholds m*.

    A censored draw (m* = m_max + 1) counts as a failure below N — a lower bound where
    m_max < m < N, so keep censoring rare (:func:`row_thresholds` says how rare) — and as a
    success at N, where the null space is {0}."""
    t = np.asarray(thresholds)
    t = np.where(t > m_max, N, t)
    m = np.arange(N + 1)
    return (t[None, :] <= m[:, None]).mean(axis=1)


def law_thresholds(sampler, N: int, s: int, *, draws: int = 200,
                   rng=None) -> tuple[np.ndarray, np.ndarray, int]:
    """(unique, minimiser, m_max): :func:`row_thresholds` for rows drawn i.i.d. from a
    sign-symmetric ``sampler`` (a registered law: ``sampler(rng, N, P)`` returns N × P),
    searched up to m_max = min(N, 3δ(s, N) + 20) from δ(s, N) on."""
    from .theory import statistical_dimension

    delta = statistical_dimension(s, N)
    m_max = int(min(N, 3 * delta + 20))
    unique, tie = row_thresholds(lambda r, m, n: np.asarray(sampler(r, n, m), float).T, N, s,
                                 draws=draws, m_max=m_max, start=int(round(delta)), rng=rng)
    return unique, tie, m_max


def law_curve(sampler, N: int, s: int, *, draws: int = 200,
              rng=None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Pr(success | m), m = 0 … N, for rows drawn i.i.d. from a sign-symmetric ``sampler``
    (:func:`law_thresholds`).

    Returns
    -------
    unique, minimiser : ndarray of shape (N + 1,)
        The curve with w* the unique minimiser, and with w* a minimiser (ties counted as
        successes); equal for a law without atoms.
    info : dict
        ``mean_rows`` (the mean unique threshold over uncensored draws), ``ties`` (the
        fraction of draws whose two thresholds differ), ``censored`` (the fraction that m_max
        rows did not certify) and ``draws``.
    """
    unique, tie, m_max = law_thresholds(sampler, N, s, draws=draws, rng=rng)
    return (success_given_rows(unique, N, m_max), success_given_rows(tie, N, m_max),
            _threshold_info(unique, tie, m_max))


def _threshold_info(unique, tie, m_max) -> dict:
    live = unique <= m_max
    return {"mean_rows": float(unique[live].mean()) if live.any() else np.nan,
            "ties": float((tie < unique).mean()), "censored": float(1.0 - live.mean()),
            "draws": int(unique.size), "m_max": int(m_max)}


def _law_cell(law: str, N: int, s: int, q: float, P, n, draws: int, seed: int,
              boot: int) -> dict:
    from .kinematic import curve_prediction
    from .sampling import get_sampler

    key = [seed, N, s, zlib.crc32(law.encode())]
    unique, tie, m_max = law_thresholds(get_sampler(law), N, s, draws=draws,
                                        rng=np.random.default_rng(np.random.SeedSequence(key)))

    def predict(idx):
        return {**curve_prediction(success_given_rows(unique[idx], N, m_max), q, P, n,
                                   name="law"),
                **curve_prediction(success_given_rows(tie[idx], N, m_max), q, P, n,
                                   name="law_tie")}

    out = {**_threshold_info(unique, tie, m_max), **predict(slice(None))}
    # the prediction's own Monte Carlo error: the same estimator on draws resampled
    rng = np.random.default_rng(np.random.SeedSequence([*key, 1]))
    again = [predict(rng.integers(0, draws, draws)) for _ in range(boot)]
    for name in ("law", "law_tie"):
        values = [a[f"p50_{name}_fit"] for a in again]
        out[f"p50_{name}_fit_se"] = float(np.nanstd(values, ddof=1)) if boot > 1 else np.nan
    out["thresholds"] = unique.tolist()
    out["thresholds_tie"] = tie.tolist()
    return out


def with_law_prediction(trials: pd.DataFrame, summary: pd.DataFrame, *, draws: int = 200,
                        boot: int = 200, seed: int = 0, n_jobs: int = 1,
                        progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A phase-transition summary (one row per sampling, N, s; sign-symmetric laws) with each
    law's own finite-size prediction added: ``p50_law`` and ``p50_law_fit`` (the measured
    P50's estimator on the cell's P values and decided-trial counts), ``width_law[_fit]``,
    the same with ties counted as successes (``p50_law_tie[_fit]``, ``width_law_tie[_fit]``:
    an LP may return w* on a tie, so a measured P50 can lie between the two), ``mean_rows``,
    ``ties``, ``censored``, ``p50_law_fit_se`` and ``p50_law_tie_fit_se`` (the prediction's
    own Monte Carlo error: a bootstrap over draws, ``boot`` resamples) and ``ratio_law`` =
    p50 / p50_law_fit with the P50's CI. Cell (law, N, s) draws from
    SeedSequence(seed, N, s, crc32(law)), so the tables do not depend on ``n_jobs``.

    Returns
    -------
    table : DataFrame
        The summary with the columns above.
    thresholds : DataFrame
        Every draw's thresholds (sampling, N, s, draw, unique, minimiser), to reuse.
    """
    from joblib import Parallel, delayed

    jobs = []
    for _, r in summary.iterrows():
        N, s = int(r["N"]), int(r["s"])
        cell = trials[(trials["sampling"] == r["sampling"]) & (trials["N"] == N)
                      & (trials["s"] == s) & trials["success"].notna()]
        counts = cell.groupby("P").size()
        jobs.append(delayed(_law_cell)(r["sampling"], N, s, float(r["q_hat"]),
                                       counts.index.to_numpy(float), counts.to_numpy(float),
                                       draws, seed, boot))
    # the largest programs first, so that two workers finish together
    order = np.argsort(-(summary["N"].to_numpy() * summary["s"].to_numpy()), kind="stable")
    done = Parallel(n_jobs=n_jobs, verbose=10 if progress else 0)(jobs[i] for i in order)
    rows = [None] * len(jobs)
    for i, row in zip(order, done):
        rows[i] = row
    summary = summary.reset_index(drop=True)
    thresholds = pd.concat(
        [pd.DataFrame({"sampling": r["sampling"], "N": int(r["N"]), "s": int(r["s"]),
                       "draw": np.arange(len(row["thresholds"])),
                       "unique": row["thresholds"], "minimiser": row["thresholds_tie"]})
         for (_, r), row in zip(summary.iterrows(), rows)], ignore_index=True)
    rows = [{k: v for k, v in row.items() if not k.startswith("thresholds")} for row in rows]
    out = pd.concat([summary, pd.DataFrame(rows)], axis=1)
    fit = out["p50_law_fit"]
    out["ratio_law"] = out["p50"] / fit
    out["ratio_law_lo"] = out["p50_lo"] / fit
    out["ratio_law_hi"] = out["p50_hi"] / fit
    return out, thresholds


def success_at(draw_rows, N: int, s: int, m: int, *, draws: int,
               rng=None) -> tuple[int, int, int]:
    """(unique, minimiser, draws): how many of ``draws`` draws of m rows from
    ``draw_rows(rng, m, N)`` certify a uniform support of size s with fair signs, uniquely and
    as a minimiser (:func:`certifies`) — Pr(success | m) at one m, for row models whose
    outcome is not monotone along one nested draw (a rescaling that depends on m)."""
    rng = np.random.default_rng(rng)
    unique = tie = 0
    for _ in range(check_int(draws, "draws", low=1)):
        support = rng.permutation(N)[:s]
        signs = rng.choice([-1.0, 1.0], size=s)
        t = certificate_gap(np.asarray(draw_rows(rng, m, N), float), support, signs)
        unique += t < 1.0 - STRICT
        tie += t <= 1.0 + STRICT
    return unique, tie, draws


def column_models(sampler) -> dict:
    """Row models that separate a law's column norms from the rest of its shape (each
    ``draw_rows(rng, m, N)``): the law; the law with every column scaled to norm √m; Gaussian
    rows with every column scaled to norm √m; Gaussian rows with the column norms of an
    independent draw of the law (directions Gaussian, lengths the law's)."""
    def law(rng, m, N):
        return np.asarray(sampler(rng, N, m), float).T

    def unit(A):
        return A * np.sqrt(A.shape[0]) / np.linalg.norm(A, axis=0)

    return {"law": law,
            "law, equal column norms": lambda rng, m, N: unit(law(rng, m, N)),
            "Gaussian, equal column norms": lambda rng, m, N: unit(rng.standard_normal((m, N))),
            "Gaussian, the law's column norms": lambda rng, m, N: (
                unit(rng.standard_normal((m, N))) / np.sqrt(m)
                * np.linalg.norm(law(rng, m, N), axis=0))}


#: How a planted vector's transition is drawn: from the law's own samples ("samples": the
#: active ones as equalities and the inactive ones tight at w* as inequalities, in order — the
#: exact reduction, thresholds in samples), or from Gaussian active rows with their second
#: moment Σ_w = E[xxᵀ | w*ᵀx > 0] ("second_moment": the design-aware model of
#: :mod:`nettrim.suite.cones` with a whole kinematic curve per vector, thresholds in rows)
ROW_MODELS = ("samples", "second_moment")
#: A "samples" threshold beyond this many samples counts as never (every grid here stops at
#: 165 samples)
MAX_SAMPLES = 1000


def samples_needed(X: np.ndarray, w: np.ndarray, start: int) -> tuple[int, int]:
    """The fewest leading samples (rows of X, P_max × n) whose active rows and tight
    inactive rows certify w* (:func:`certificate_gap`), uniquely and as a minimiser; P_max + 1
    if none. Adding a sample adds an equality or an inequality (or nothing), so t* never
    grows with the count: the search of :func:`rows_needed` applies."""
    z = X @ w
    scale = np.abs(z).max() if z.size else 1.0
    active, tight = z > 1e-12 * scale, np.abs(z) <= 1e-12 * scale
    support = np.flatnonzero(w)
    signs = np.sign(w[support])

    @functools.cache
    def gap(P):
        return certificate_gap(X[:P][active[:P]], support, signs, X[:P][tight[:P]])

    P_max, s = X.shape[0], len(support)
    unique = _first(lambda P: gap(P) < 1.0 - STRICT, s - 1, P_max, start)
    tie = _first(lambda P: gap(P) <= 1.0 + STRICT, s - 1, P_max, min(unique, P_max))
    return unique, tie


def planted_thresholds(sampler, N: int, s: int, *, vectors: int = 400, values: str = "gaussian",
                       bias: bool = False, bias_value: float | None = None,
                       samples: int = 20_000, model: str = "samples",
                       seed: int = 0) -> pd.DataFrame:
    """For each of ``vectors`` planted w* (as the sweeps plant them): its active fraction q_w
    and its threshold — one nested draw per vector, for a law whose transition depends on w*
    (a common mean).

    ``samples`` inputs of ``sampler`` (one call, so a law with a per-call layer such as
    ``relu_layer`` keeps it; a row of ones appended when ``bias``) give q_w. ``model``
    (:data:`ROW_MODELS`): "samples" takes the first :data:`MAX_SAMPLES` of them in order,
    threshold = fewest samples that certify (:func:`samples_needed`); "second_moment" draws
    Gaussian rows with the active inputs' Σ_w, threshold = fewest rows (:func:`rows_needed`).
    Vector k uses the k-th child of SeedSequence(seed).

    Returns
    -------
    DataFrame
        One row per vector: ``q``, ``unique`` and ``minimiser`` (thresholds; +∞ for a dead
        vector or one that never certifies within the draw), ``unit`` ("samples" or "rows").
    """
    from .planted import planted_weights
    from .theory import statistical_dimension

    if model not in ROW_MODELS:
        raise ValueError(f"model must be one of {ROW_MODELS}; got {model!r}")
    vectors = check_int(vectors, "vectors", low=1)
    samples = check_int(samples, "samples", low=2)
    n = N + bool(bias)
    delta = statistical_dimension(s, n)
    out = []
    for child in np.random.SeedSequence(check_int(seed, "seed", low=0)).spawn(vectors):
        rng = np.random.default_rng(child)
        w = planted_weights(rng, N, s, 1, values=values, bias=bias, bias_value=bias_value)[:, 0]
        X = np.asarray(sampler(rng, N, samples), float)
        if bias:
            X = np.vstack([X, np.ones(samples)])
        on = w @ X > 0
        q = float(on.mean())
        row = {"q": q, "unique": np.inf, "minimiser": np.inf,
               "unit": "samples" if model == "samples" else "rows"}
        if q > 0 and model == "samples":
            top = min(samples, MAX_SAMPLES)
            found = samples_needed(X[:, :top].T, w, int(round(delta / q)))
            row["unique"], row["minimiser"] = (float(f) if f <= top else np.inf for f in found)
        elif q > 0:
            active = X[:, on].T
            vals, vecs = np.linalg.eigh(active.T @ active / active.shape[0])
            rows = rng.standard_normal((n, n)) @ (vecs * np.sqrt(np.clip(vals, 0.0, None))).T
            support = np.flatnonzero(w)
            found = rows_needed(rows, support, np.sign(w[support]), int(round(delta)))
            row["unique"], row["minimiser"] = (float(f) if f <= n else np.inf for f in found)
        out.append(row)
    return pd.DataFrame(out)


def planted_rate(P, table: pd.DataFrame, which: str = "unique") -> np.ndarray:
    """The sweep's success rate at each P, mean over vectors (one nested draw per vector is an
    unbiased draw of that vector's curve): Pr(P*_w ≤ P) for thresholds in samples,
    Pr(Binomial(P, q_w) ≥ m*_w) for thresholds in rows."""
    from scipy import stats

    P = np.atleast_1d(np.asarray(P)).astype(int)
    t = table[which].to_numpy(float)
    live = np.isfinite(t)
    if (table["unit"] == "samples").all():
        return (t[live][None, :] <= P[:, None]).sum(axis=1) / len(t)
    rates = stats.binom.sf(t[live][None, :] - 1, P[:, None], table["q"].to_numpy()[live])
    return rates.sum(axis=1) / len(t)


def _planted_cell(sampler, N, s, P, n, kw, boot, seed) -> dict:
    from .kinematic import rate_prediction

    out = {}
    for model, name in zip(ROW_MODELS, ("exact", "moment")):
        table = planted_thresholds(sampler, N, s, model=model, seed=seed, **kw)
        if model == "samples":
            top = MAX_SAMPLES
        else:
            finite = table["unique"][np.isfinite(table["unique"])]
            top = int(min(4 * (finite / table["q"][finite.index]).max() + 10, 1e6)) \
                if finite.size else 10
        grid = np.arange(1, top + 1)
        pred = rate_prediction(lambda x, t=table: planted_rate(x, t), grid, P, n, name=name)
        # the prediction's own Monte Carlo error: the fit P50 over vectors resampled
        rng = np.random.default_rng(seed)
        again = [rate_prediction(lambda x, t=table.sample(frac=1.0, replace=True,
                                                            random_state=rng): planted_rate(x, t),
                                 grid[:1], P, n, name=name)[f"p50_{name}_fit"]
                 for _ in range(boot)]
        pred[f"p50_{name}_fit_se"] = float(np.nanstd(again, ddof=1)) if boot > 1 else np.nan
        pred[f"{name}_dead"] = float((table["q"] == 0).mean())
        pred[f"{name}_never"] = float(np.isinf(table["unique"]).mean())
        out.update(pred)
    return out


def with_planted_prediction(trials: pd.DataFrame, summary: pd.DataFrame, sampler, *,
                            vectors: int = 400, values: str = "gaussian", bias: bool = False,
                            bias_value: float | None = None, samples: int = 20_000,
                            boot: int = 100, seed: int = 0, n_jobs: int = 1,
                            progress: bool = False) -> pd.DataFrame:
    """A phase-transition summary (one row per N, s) with the per-vector predictions added,
    each through the measured P50's estimator on the cell's P values and trial counts:
    ``p50_exact_fit`` (every vector's own samples: the exact reduction, Monte Carlo only)
    and ``p50_moment_fit`` (Gaussian rows with each vector's second moment: the design-aware
    model, with a whole per-vector kinematic curve rather than a step at δ_w), each with
    ``_se`` (bootstrap over vectors: the prediction's own Monte Carlo error), the dead
    fraction and the fraction that never certify within the draw (``*_never``), and
    ``ratio_exact`` / ``ratio_moment`` = p50 over them with the P50's
    CI. Cell (N, s) uses SeedSequence(seed, N, s)'s entropy, whatever ``n_jobs``."""
    from joblib import Parallel, delayed

    kw = {"vectors": vectors, "values": values, "bias": bias, "bias_value": bias_value,
          "samples": samples}
    jobs = []
    for _, r in summary.iterrows():
        N, s = int(r["N"]), int(r["s"])
        cell = trials[(trials["N"] == N) & (trials["s"] == s) & trials["success"].notna()]
        counts = cell.groupby("P").size()
        cell_seed = int(np.random.SeedSequence([seed, N, s]).generate_state(1)[0])
        jobs.append(delayed(_planted_cell)(sampler, N, s, counts.index.to_numpy(float),
                                           counts.to_numpy(float), kw, boot, cell_seed))
    rows = Parallel(n_jobs=n_jobs, verbose=10 if progress else 0)(jobs)
    out = pd.concat([summary.reset_index(drop=True), pd.DataFrame(rows)], axis=1)
    for name in ("exact", "moment"):
        fit = out[f"p50_{name}_fit"]
        out[f"ratio_{name}"] = out["p50"] / fit
        out[f"ratio_{name}_lo"] = out["p50_lo"] / fit
        out[f"ratio_{name}_hi"] = out["p50_hi"] / fit
    return out


__all__ = ["STRICT", "certificate_gap", "certifies", "rows_needed", "row_thresholds",
           "success_given_rows", "law_thresholds", "law_curve", "with_law_prediction",
           "success_at", "column_models", "ROW_MODELS", "MAX_SAMPLES", "samples_needed",
           "planted_thresholds", "planted_rate",
           "with_planted_prediction"]
