"""The dual-certificate threshold (nettrim.suite.certificate): its verdict against the Net-Trim
program solved by the LP, its search against a plain scan, its curve against the Crofton formula
for Gaussian rows, and a law's own curve against the measured transition."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nettrim import LayerProblem, solve
from nettrim.suite.certificate import (
    certificate_gap,
    certifies,
    law_curve,
    planted_rate,
    planted_thresholds,
    row_thresholds,
    rows_needed,
    success_given_rows,
    with_law_prediction,
    with_planted_prediction,
)
from nettrim.suite.kinematic import intrinsic_volumes, mixture_probability
from nettrim.suite.kinematic import success_given_rows as crofton
from nettrim.suite.sampling import get_sampler

LAWS = ["gaussian", "rademacher", "uniform", "student_t"]


def _planted(rng, N, s):
    w = np.zeros(N)
    support = rng.choice(N, s, replace=False)
    w[support] = rng.standard_normal(s)
    return w, support


@pytest.mark.parametrize("law", LAWS)
def test_the_certificate_on_the_active_rows_decides_the_net_trim_program(law):
    """The ε = 0 Net-Trim program (the LP, inactive constraints included) recovers w* exactly
    when its active rows certify w*'s support and signs — the reduction behind every
    prediction, checked for four laws at sample counts across the transition. On a tie (±1
    rows) w* is a minimiser but not the only one: the LP may return it or not."""
    rng = np.random.default_rng(7)
    N, s, verdicts = 24, 3, set()
    sampler = get_sampler(law)
    for i in range(36):
        w, support = _planted(rng, N, s)
        X = np.asarray(sampler(rng, N, 12 + i), float)
        y = np.maximum(w @ X, 0.0)
        res = solve(LayerProblem(X, y[None, :], 0.0), "lp")
        recovered = np.linalg.norm(res.W[:, 0] - w) <= 1e-6 * np.linalg.norm(w)
        A, signs = X[:, y > 0].T, np.sign(w[support])
        unique, minimiser = (certifies(A, support, signs, unique=u) for u in (True, False))
        assert minimiser >= unique
        assert recovered or not unique, i           # unique ⇒ the LP returns w*
        assert minimiser or not recovered, i        # w* returned ⇒ w* a minimiser
        if law != "rademacher":
            assert unique == minimiser == recovered, i
        verdicts.add(unique)
    assert verdicts == {True, False}


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 10_000), start=st.integers(0, 40))
def test_the_search_finds_the_first_certifying_count(seed, start):
    """Doubling from any start and bisecting gives the same count as a scan over every m, and
    the gap t*(m) never grows as rows are added (the monotonicity the search relies on)."""
    rng = np.random.default_rng(seed)
    N, s, m_max = 20, 2, 18
    support = rng.choice(N, s, replace=False)
    signs = rng.choice([-1.0, 1.0], s)
    rows = rng.standard_normal((m_max, N))
    gaps = np.array([certificate_gap(rows[:m], support, signs) for m in range(1, m_max + 1)])
    assert np.all(np.diff(gaps[np.isfinite(gaps)]) <= 1e-7)
    ok = gaps < 1 - 1e-6
    scan = int(np.argmax(ok)) + 1 if ok.any() else m_max + 1
    tie = gaps <= 1 + 1e-6
    scan_tie = int(np.argmax(tie)) + 1 if tie.any() else m_max + 1
    assert rows_needed(rows, support, signs, start) == (scan, scan_tie)
    assert rows_needed(rows, support, signs) == (scan, scan_tie)


def test_gaussian_rows_give_the_crofton_curve():
    """For Gaussian rows the empirical law of the fewest certifying rows is the kinematic
    formula's Pr(success | m): the means agree within four standard errors and the curves
    within the Dvoretzky–Kiefer–Wolfowitz band (α = 10⁻³)."""
    N, s, draws = 40, 4, 200
    t, tie = row_thresholds(lambda r, m, n: r.standard_normal((m, n)), N, s, draws=draws,
                            m_max=N, start=12, rng=1)
    assert np.array_equal(t, tie)                   # no ties without atoms
    ours = success_given_rows(t, N, N)
    theirs = crofton(intrinsic_volumes(s, N, draws=100_000, rng=2))
    mean = (np.arange(N + 1) * np.diff(theirs, prepend=0.0)).sum()
    assert abs(t.mean() - mean) <= 4 * t.std() / np.sqrt(draws)
    assert np.max(np.abs(ours - theirs)) <= np.sqrt(np.log(2 / 1e-3) / (2 * draws))


def test_pm_one_rows_can_tie_and_a_tie_is_a_failure():
    """Two equal ±1 columns, one on the support: |A_jᵀλ| = |σ_i| = 1 for every certificate, so
    w* is not the unique minimiser and the rows must not count as certifying."""
    A = np.array([[1.0, 1.0, -1.0], [1.0, 1.0, 1.0], [-1.0, -1.0, 1.0]])
    assert certificate_gap(A, np.array([0]), np.array([1.0])) == pytest.approx(1.0)
    assert not certifies(A, np.array([0]), np.array([1.0]))


def test_a_censored_draw_is_a_failure_until_n():
    curve = success_given_rows(np.array([3, 5, 9]), N=10, m_max=8)     # 9 = censored
    assert list(curve[[2, 3, 5, 8, 9, 10]]) == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3, 2 / 3, 1])


def test_bad_arguments_are_named():
    rows = lambda r, m, n: r.standard_normal((m, n))  # noqa: E731
    with pytest.raises(ValueError, match="s must be <= N"):
        row_thresholds(rows, 5, 6, draws=2, m_max=5)
    with pytest.raises(ValueError, match="m_max must be >= 3"):
        row_thresholds(rows, 10, 3, draws=2, m_max=2)
    with pytest.raises(ValueError, match=r"draw_rows must return shape \(m_max, N\)"):
        row_thresholds(lambda r, m, n: r.standard_normal((n, m)), 10, 2, draws=1, m_max=6)


def test_the_law_prediction_does_not_depend_on_n_jobs_and_fits_the_cell():
    """A law's own prediction for a measured cell (small, fast): independent of n_jobs, its
    ratio column is p50 over the fit, and its mean row count is near δ for Gaussian rows."""
    rng = np.random.default_rng(0)
    N, s, Ps = 30, 3, [10, 14, 18, 22, 26, 30, 36]
    rows = []
    for P in Ps:
        for _ in range(6):
            rows.append({"sampling": "uniform", "N": N, "s": s, "P": P,
                         "success": bool(rng.random() < min(1.0, P / 36))})
    trials = pd.DataFrame(rows)
    summary = pd.DataFrame([{"sampling": "uniform", "N": N, "s": s, "q_hat": 0.5, "p50": 18.0,
                             "p50_lo": 15.0, "p50_hi": 21.0}])
    one, t1 = with_law_prediction(trials, summary, draws=40, boot=20, n_jobs=1)
    two, t2 = with_law_prediction(trials, summary, draws=40, boot=20, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(t1, t2)
    assert len(t1) == 40 and (t1["minimiser"] <= t1["unique"]).all()
    assert 0 < one["p50_law_fit_se"].iloc[0] < one["p50_law_fit"].iloc[0] / 2
    assert one["ratio_law"].iloc[0] == pytest.approx(18.0 / one["p50_law_fit"].iloc[0])
    given_m, _, info = law_curve(get_sampler("gaussian"), N, s, draws=60, rng=3)
    assert info["censored"] == 0 and given_m[-1] == 1.0
    assert np.all(np.diff(given_m) >= 0)


def test_planted_vectors_of_a_centred_gaussian_law_give_the_crofton_thresholds():
    """Centred Gaussian inputs: every w* has q_w ≈ ½ and active rows that are Gaussian up to
    sign, so the Gaussian rows with Σ_w give the Crofton curve's mean row count, and the
    law's own samples the mean sample count of its binomial mixture (four standard errors)."""
    N, s, V = 30, 3, 100
    theirs = crofton(intrinsic_volumes(s, N, draws=100_000, rng=2))
    rows = (np.arange(N + 1) * np.diff(theirs, prepend=0.0)).sum()
    P = np.arange(0, 400)
    samples = (1 - mixture_probability(P, 0.5, theirs)).sum()      # E P* = Σ_P Pr(P* > P)
    for model, mean in (("second_moment", rows), ("samples", samples)):
        t = planted_thresholds(get_sampler("gaussian"), N, s, vectors=V, samples=2000,
                               model=model, seed=5)
        assert t["q"].between(0.44, 0.56).all() and np.isfinite(t["unique"]).all()
        assert abs(t["unique"].mean() - mean) <= 4 * t["unique"].std() / np.sqrt(V), model


def test_tight_inactive_rows_decide_non_negative_inputs():
    """Non-negative inputs that vanish on the support make inactive constraints tight at w*
    (x_pᵀw* = 0): the certificate must carry them as inequalities to decide the Net-Trim LP
    (unique ⇒ recovered ⇒ minimiser), and without them it misses recoveries."""
    rng = np.random.default_rng(3)
    N, s, missed = 30, 2, 0
    for i in range(30):
        w, support = _planted(rng, N, s)
        w[support[0]] = abs(w[support[0]])                  # alive on non-negative inputs
        X = np.maximum(rng.standard_normal((N, 14 + i)), 0.0)
        z = w @ X
        res = solve(LayerProblem(X, np.maximum(z, 0.0)[None, :], 0.0), "lp")
        recovered = np.linalg.norm(res.W[:, 0] - w) <= 1e-6 * np.linalg.norm(w)
        signs = np.sign(w[support])
        t = certificate_gap(X[:, z > 0].T, support, signs, X[:, z == 0].T)
        assert recovered or not t < 1 - 1e-6, i
        assert t <= 1 + 1e-6 or not recovered, i
        missed += recovered and not certifies(X[:, z > 0].T, support, signs)
    assert missed > 0


def test_dead_vectors_never_succeed():
    """Non-negative inputs and a 1-sparse w* with a negative weight: never active, so the
    predicted rate tops out at the live fraction."""
    t = planted_thresholds(get_sampler("rectified_gaussian"), 20, 1, vectors=40, samples=500,
                           seed=1)
    dead = (t["q"] == 0).mean()
    assert 0.2 < dead < 0.8 and np.isinf(t.loc[t["q"] == 0, "unique"]).all()
    assert planted_rate([400], t)[0] == pytest.approx(1 - dead)
    with pytest.raises(ValueError, match="model must be one of"):
        planted_thresholds(get_sampler("gaussian"), 5, 1, vectors=2, model="gauss")


def test_the_planted_prediction_does_not_depend_on_n_jobs():
    rng = np.random.default_rng(0)
    trials = pd.DataFrame([{"N": 20, "s": s, "P": P, "success": bool(rng.random() < P / 40)}
                           for s in (1, 2) for P in (8, 12, 16, 20, 26, 32, 40) for _ in range(4)])
    summary = pd.DataFrame([{"N": 20, "s": s, "p50": 20.0, "p50_lo": 16.0, "p50_hi": 25.0}
                            for s in (1, 2)])
    kw = {"vectors": 30, "samples": 400, "boot": 5}
    one = with_planted_prediction(trials, summary, get_sampler("shifted_gaussian"), n_jobs=1, **kw)
    two = with_planted_prediction(trials, summary, get_sampler("shifted_gaussian"), n_jobs=2, **kw)
    pd.testing.assert_frame_equal(one, two)
    assert one["p50_exact_fit_se"].gt(0).all() and one["ratio_moment"].notna().all()
