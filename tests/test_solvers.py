"""Solvers cross-checked against each other: ADMM vs cvxpy (ε > 0), LP vs both (ε = 0)."""

import numpy as np
import pytest
from conftest import random_layer
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import nettrim
from nettrim import LayerProblem, solve

CASES = [  # (per_neuron, bias, nonzero V, linear, density, gain)
    (False, False, False, False, 1.0, 0.05),
    (True, False, False, False, 1.0, 0.05),
    (False, True, False, False, 1.0, 0.1),
    (True, True, False, False, 0.3, 0.1),
    (False, False, True, False, 1.0, 0.05),
    (True, False, True, False, 0.3, 0.02),
    (False, True, True, False, 0.3, 0.2),
    (False, False, False, True, 1.0, 0.05),
    (True, False, False, True, 0.5, 0.1),
]


def _problem(seed, per_neuron, bias, nonzero_V, linear, density, gain, N=15, P=60):
    X, W, Y = random_layer(seed, N=N, M=4, P=P, density=density, bias=bias)
    Xb = np.vstack([X, np.ones((1, X.shape[1]))]) if bias else X
    if linear:
        Y = W.T @ Xb
    V = None
    if nonzero_V:
        V = 0.3 * np.abs(np.random.default_rng(seed + 100).standard_normal(Y.shape))
    return LayerProblem(X, Y, gain * np.linalg.norm(Y), V=V, bias=bias, per_neuron=per_neuron,
                        linear=linear)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "pn%d-b%d-V%d-lin%d-d%.1f-g%.2f" % c)
def test_admm_agrees_with_cvxpy(case, seed):
    prob = _problem(seed, *case)
    admm = solve(prob, "admm")
    cvx = solve(prob, "cvxpy")
    assert admm.status == "converged", admm.info
    assert cvx.status == "converged", cvx.info
    assert admm.evaluation.feasible and cvx.evaluation.feasible  # both to 1e-4 relative
    assert admm.evaluation.l1 == pytest.approx(cvx.evaluation.l1, rel=1e-3)


def test_admm_reports_max_iter_instead_of_a_result(layer):
    X, W, Y = layer
    res = nettrim.prune_layer(X, Y, 0.05 * np.linalg.norm(Y), max_iter=3)
    assert res.status == "max_iter" and not res.converged
    assert res.info["iterations"] == 3


@pytest.mark.parametrize("max_iter", [3, 25])
def test_admm_cut_off_reports_the_certificate_of_what_it_returns(layer, max_iter):
    """A run cut off between tests (or before the first) still reports the gap and the
    infeasibility of the W it returns, though its tests skip the dual bound while W is
    infeasible."""
    X, W, Y = layer
    problem = LayerProblem(X, Y, 0.05 * np.linalg.norm(Y))
    res = solve(problem, "admm", max_iter=max_iter, check_every=10, adaptive_rho=False)
    assert res.status == "max_iter"
    assert np.isfinite(res.info["gap"]) and np.isfinite(res.info["dual_bound"])
    assert res.info["infeasibility"] == pytest.approx(problem.infeasibility(res.W.T @ X),
                                                      rel=1e-9, abs=1e-12)
    l1 = np.abs(res.W).sum()
    assert res.info["gap"] == pytest.approx((l1 - res.info["dual_bound"]) / l1, rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_admm_looser_feasibility_stops_no_later_on_the_same_path(seed):
    """ρ aims at feasibility min(feas_tol, RHO_FEAS_AIM): a looser stop keeps the default's
    iterates (and its ρ) and can only stop sooner, with a W that meets its own tolerance."""
    problem = _problem(seed, False, False, False, False, 0.3, 0.05)
    default = solve(problem, "admm", polish="never")
    loose = solve(problem, "admm", feas_tol=1e-3, polish="never")
    assert default.converged and loose.converged
    assert loose.info["iterations"] <= default.info["iterations"]
    assert loose.info["infeasibility"] <= 1e-3 and loose.info["gap"] <= 1e-3
    path = solve(problem, "admm", polish="never", max_iter=loose.info["iterations"])
    np.testing.assert_array_equal(path.W, loose.W)



def test_admm_callback_sees_each_test_and_can_stop_the_run(layer):
    """The callback gets (k, W2) at every test; a watcher that never stops changes nothing,
    and one that stops returns the very iterate it was shown, as "stopped" (not a result)."""
    X, W, Y = layer
    problem = LayerProblem(X, Y, 0.05 * np.linalg.norm(Y))
    plain = solve(problem, "admm", polish="never")
    seen = []
    watched = solve(problem, "admm", polish="never",
                    callback=lambda k, W: seen.append((k, W.copy())))
    np.testing.assert_array_equal(watched.W, plain.W)
    assert [k for k, _ in seen] == list(range(10, plain.info["iterations"] + 1, 10))
    assert len(seen) >= 2
    k_stop, W_stop = seen[-2]   # stop one test before the certificate would
    cut = solve(problem, "admm", polish="never", callback=lambda k, W: k == k_stop)
    assert cut.status == "stopped" and not cut.converged
    assert cut.info["iterations"] == k_stop
    np.testing.assert_array_equal(cut.W, W_stop)
    assert cut.info["infeasibility"] == pytest.approx(problem.infeasibility(W_stop.T @ X),
                                                      rel=1e-9, abs=1e-12)
    with pytest.raises(TypeError, match="callback"):
        solve(problem, "admm", callback="stop")

def test_admm_warm_start_from_solution_is_fast(layer):
    X, W, Y = layer
    eps = 0.05 * np.linalg.norm(Y)
    # without the pattern solve, which certifies this small layer within a few tests anyway
    cold = nettrim.prune_layer(X, Y, eps, polish="never")
    warm = nettrim.prune_layer(X, Y, eps, W0=cold.W, polish="never")
    assert warm.converged
    assert warm.info["iterations"] < cold.info["iterations"]
    assert warm.evaluation.l1 == pytest.approx(cold.evaluation.l1, rel=1e-3)


@pytest.mark.parametrize("case", CASES[:4], ids=lambda c: "pn%d-b%d-V%d-lin%d-d%.1f-g%.2f" % c)
def test_admm_warm_state_from_a_neighbouring_epsilon_certifies_the_same_optimum(case):
    problem = _problem(3, *case)
    looser = _problem(3, *case[:-1], 1.5 * case[-1])
    first = solve(problem, "admm")
    assert first.converged and first.state["Lam"].shape == problem.Y.shape
    cold, warm = solve(looser, "admm"), solve(looser, "admm", warm=first.state)
    assert cold.converged and warm.converged and warm.info["warm"]
    assert warm.evaluation.l1 == pytest.approx(cold.evaluation.l1, rel=2e-3)
    # the state's multiplier is in the caller's units: its dual bound is that of the problem
    assert looser.dual_objective(warm.state["Lam"]) <= cold.evaluation.l1 * (1 + 1e-9)
    assert problem.dual_objective(first.state["Lam"]) == pytest.approx(
        first.info["dual_bound"], rel=1e-6)


def test_admm_refuses_a_warm_state_of_another_shape(layer):
    X, W, Y = layer
    first = nettrim.prune_layer(X, Y, 0.05 * np.linalg.norm(Y))
    with pytest.raises(ValueError, match=r"warm\['Lam'\] must have shape"):
        nettrim.prune_layer(X[:, :-5], Y[:, :-5], 0.05 * np.linalg.norm(Y), warm=first.state)
    with pytest.raises(ValueError, match="warm must be the state of an ADMM result"):
        nettrim.prune_layer(X, Y, 0.05 * np.linalg.norm(Y), warm={"W": first.W})


@pytest.mark.parametrize("precision", ["mixed", "double"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "pn%d-b%d-V%d-lin%d-d%.1f-g%.2f" % c)
def test_admm_kernel_form_agrees_with_cvxpy(case, precision):
    # P < N runs the kernel form (P×P Woodbury inverse, no running products)
    prob = _problem(4, *case, N=40, P=25)
    admm, cvx = solve(prob, "admm", precision=precision), solve(prob, "cvxpy")
    assert admm.converged and admm.evaluation.feasible, admm.info
    assert admm.info["precision"] == precision
    assert admm.evaluation.l1 == pytest.approx(cvx.evaluation.l1, rel=1e-3)


def test_admm_kernel_form_warm_state_certifies_the_same_optimum():
    problem = _problem(5, *CASES[2], N=40, P=25)
    looser = _problem(5, *CASES[2][:-1], 1.5 * CASES[2][-1], N=40, P=25)
    first = solve(problem, "admm")
    cold, warm = solve(looser, "admm"), solve(looser, "admm", warm=first.state)
    assert cold.converged and warm.converged and warm.info["warm"]
    assert warm.evaluation.l1 == pytest.approx(cold.evaluation.l1, rel=2e-3)
    assert problem.dual_objective(first.state["Lam"]) == pytest.approx(
        first.info["dual_bound"], rel=1e-6)


@settings(max_examples=25, deadline=None)
@given(N=st.integers(1, 30), P=st.integers(1, 30), M=st.integers(1, 4),
       seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_gram_solve_solves_in_both_forms_and_the_kernel_form_hands_back_wtx(N, P, M, seed,
                                                                            scale):
    # (XXᵀ + I)W = XAᵀ + B: by the N×N inverse when N ≤ P, else by the kernel form, which
    # also hands back WᵀX = A − Cᵀ (K·XᵀX = I − K) and so forms neither R nor WᵀX
    from nettrim.solvers.admm import _GramSolve

    rng = np.random.default_rng(seed)
    X = scale * np.abs(rng.standard_normal((N, P)))
    A, B = rng.standard_normal((M, P)), rng.standard_normal((N, M))
    R = X @ A.T + B
    gram = _GramSolve(X)
    assert gram.kernel == (P < N)
    if gram.kernel:
        W = np.empty((N, M))
        Z = gram.kernel_step(A, B, out=W, Z=np.empty((M, P)), work=np.empty((M, P)))
        np.testing.assert_allclose(Z, W.T @ X, atol=1e-9 * (1 + scale) * np.linalg.norm(R))
        # in float32 (mixed precision): the same W3 and W3ᵀX to float32 rounding
        f32 = np.float32
        W32 = np.empty((N, M))
        Z32 = gram.kernel_step(A.astype(f32), B, out=W32, Z=np.empty((M, P), f32),
                               work=np.empty((M, P), f32), scratch=np.empty((N, M), f32))
        assert Z32.dtype == f32 and W32.dtype == np.float64
        size = (1 + scale) * (np.linalg.norm(A) + np.linalg.norm(B))
        np.testing.assert_allclose(W32, W, atol=1e-5 * size)
        np.testing.assert_allclose(Z32, Z, atol=1e-5 * size)
    else:
        W = gram(R)
    lhs = X @ (X.T @ W) + W
    assert np.linalg.norm(lhs - R) <= 1e-9 * (1 + scale**2) * np.linalg.norm(R)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40), st.floats(0, 1e3))
def test_soft_threshold_is_the_prox_of_the_l1_norm(v, t):
    from nettrim.solvers.admm import soft_threshold

    V = np.array(v)
    expected = np.sign(V) * np.maximum(np.abs(V) - t, 0.0)
    np.testing.assert_array_equal(soft_threshold(V, t), expected)


def _planted_neuron(seed, N=50, s=3, P=60):
    rng = np.random.default_rng(seed)
    w = np.zeros((N, 1))
    w[rng.choice(N, s, replace=False), 0] = rng.standard_normal(s)
    X = rng.standard_normal((N, P))
    return X, w, np.maximum(w.T @ X, 0.0)


@pytest.mark.parametrize("seed", range(3))
def test_lp_recovers_planted_neuron_and_others_agree(seed):
    X, w, Y = _planted_neuron(seed)
    lp = nettrim.prune_layer(X, Y, 0.0, solver="lp")
    assert lp.converged
    np.testing.assert_allclose(lp.W, w, atol=1e-7)
    for name in ("admm", "cvxpy"):
        other = nettrim.prune_layer(X, Y, 0.0, solver=name)
        assert other.converged
        assert np.linalg.norm(other.W - w) <= 1e-3 * np.linalg.norm(w), name
        assert other.evaluation.l1 == pytest.approx(lp.evaluation.l1, rel=1e-3)


def test_lp_solves_layer_and_linear_forms_exactly(layer):
    X, W, Y = random_layer(5, N=10, M=3, P=40)
    for prob in (LayerProblem(X, Y, 0.0), LayerProblem(X, W.T @ X, 0.0, linear=True)):
        lp, cvx = solve(prob, "lp"), solve(prob, "cvxpy")
        assert lp.converged and lp.evaluation.feasible
        assert lp.evaluation.omega_residual <= 1e-7 * np.linalg.norm(prob.Y)
        assert lp.evaluation.l1 == pytest.approx(cvx.evaluation.l1, rel=1e-4)


def test_lp_reports_infeasible_program():
    # y = ReLU(xᵀw) cannot have y > 0 at x = 0: the equality row 0ᵀw = 1 is infeasible
    X = np.zeros((3, 2))
    X[:, 1] = 1.0
    Y = np.array([[1.0, 1.0]])
    res = nettrim.prune_layer(X, Y, 0.0, solver="lp")
    assert res.status == "infeasible" and "neuron 0" in res.info["message"]


def test_registry_lists_and_accepts_new_solvers():
    assert {"admm", "cvxpy", "lp"} <= set(nettrim.available_solvers())

    @nettrim.register("zero-test")
    def zero(problem):
        return nettrim.solvers.SolverResult(np.zeros((problem.N, problem.M)), "converged", {})

    try:
        X, W, Y = random_layer()
        res = nettrim.prune_layer(X, Y, 10 * np.linalg.norm(Y), solver="zero-test")
        assert res.evaluation.l1 == 0.0 and res.evaluation.feasible  # ε ≥ ‖Y‖ makes U = 0 feasible
        with pytest.raises(ValueError, match="already registered"):
            nettrim.register("admm")(zero)
    finally:
        nettrim.solvers.SOLVERS.unregister("zero-test")


def test_auto_and_the_epsilon_error_come_from_the_declarations():
    """`solver="auto"` picks by capability then preference; a solver declared ε = 0 only is
    refused at ε > 0 with the able solvers named; a new solver's declarations are honoured."""
    from nettrim.problem import LayerProblem
    from nettrim.solvers import SOLVERS, choose

    X, W, Y = random_layer()
    exact, noisy = LayerProblem(X, Y, 0.0), LayerProblem(X, Y, 0.1 * np.linalg.norm(Y))
    assert choose(exact) == "lp" and choose(noisy) == "admm"
    assert SOLVERS.entry("cvxpy").requires == ("cvxpy",) and SOLVERS.entry("cvxpy").is_installed()
    with pytest.raises(ValueError, match=r"'lp' solver handles only .* epsilon = 0.*"
                                         r"solver='admm' or .*'cvxpy'"):
        nettrim.prune_layer(X, Y, 0.1, solver="lp")

    @nettrim.register("zero-only-test", epsilon="zero", exact=True, priority=99)
    def zero_only(problem):
        return nettrim.solvers.SolverResult(np.zeros((problem.N, problem.M)), "converged", {})

    try:
        assert choose(exact) == "zero-only-test" and choose(noisy) == "admm"
        with pytest.raises(ValueError, match="'zero-only-test' solver handles only"):
            nettrim.prune_layer(X, Y, 0.1, solver="zero-only-test")
    finally:
        SOLVERS.unregister("zero-only-test")
    with pytest.raises(ValueError, match="epsilon must be 'any' or 'zero'"):
        nettrim.register("bad-test", epsilon="some")


def test_samplers_share_the_registry_rules():
    from nettrim.suite.sampling import SAMPLERS, gaussian, register_sampler

    with pytest.raises(ValueError, match="a sampler named 'gaussian' is already registered"):
        register_sampler("gaussian")(gaussian)
    with pytest.raises(ValueError, match="unknown sampler 'nope'; available: .*gaussian"):
        SAMPLERS.get("nope")


@pytest.mark.parametrize("family", ["dense", "trained", "cascade"])
def test_gram_scale_changes_the_path_not_the_answer(family):
    """gram_scale reweights the two constraint blocks under one ρ (the data are rescaled, the
    program is not): both settings certify, and their objectives agree with cvxpy's."""
    from nettrim.suite.benchmark import layer_problem

    problem, _ = layer_problem(family, 20, 4, 200, 0.05, seed=3)
    ref = solve(problem, "cvxpy").evaluation.l1
    for options in ({}, {"rho": 10.0, "gram_scale": 0.1}):
        res = solve(problem, "admm", **options)
        assert res.converged and res.evaluation.feasible, options
        assert res.evaluation.l1 == pytest.approx(ref, rel=2e-3), options


EXACT = {"gap_tol": 1e-6, "feas_tol": 1e-6, "max_iter": 50_000}   # conf/solver/admm_exact.yaml


def _trial_problem(N, s, P, trial, seed=1):
    """A phase-transition trial's program (the suite's own draw), with its planted w*."""
    from nettrim.suite.planted import planted_weights, relu_response
    from nettrim.suite.sampling import gaussian
    from nettrim.suite.trial import trial_seed

    rng = np.random.default_rng(trial_seed(seed, N, s, P, trial))
    w = planted_weights(rng, N, s, 1)
    X = gaussian(rng, N, P)
    y = relu_response(w, X)
    return (LayerProblem(X, y, 0.0) if y.any() else None), w


def test_admm_decides_an_exact_recovery_trial_that_once_hit_max_iter():
    """N = 50, s = 5, P = 26, trial 0 of the agreement study: 50,000 iterations without a
    certificate before the ε = 0 polish; with it, the LP's vertex, certified, in far fewer."""
    problem, _ = _trial_problem(50, 5, 26, 0)
    lp = solve(problem, "lp")
    plain = solve(problem, "admm", **dict(EXACT, max_iter=3000), polish="never")
    assert plain.status == "max_iter"
    res = solve(problem, "admm", **EXACT)
    assert res.converged and res.info["polished"] and res.info["iterations"] < 3000
    assert res.info["gap"] <= 1e-6 and res.info["infeasibility"] <= 1e-6
    np.testing.assert_allclose(res.W, lp.W, atol=1e-9 * np.abs(lp.W).max())


def test_pattern_solve_with_a_wrong_support_fails_the_certificate():
    """The pattern guess is never trusted: on the true support the pattern solve returns w*
    (ε = 0), on a support moved off it the equalities cannot be met and the pair fails the
    feasibility test the solver applies."""
    from nettrim.solvers.admm import _pattern_solve

    problem, w = _trial_problem(40, 3, 60, 0)
    none_active, no_multiplier = np.zeros((1, 60), dtype=bool), np.zeros((1, 60))
    W, _ = _pattern_solve(problem, np.sign(w), none_active, no_multiplier, np.zeros_like(w))
    np.testing.assert_allclose(W, w, atol=1e-10)
    wrong = np.zeros_like(w)
    wrong[np.flatnonzero(w[:, 0] == 0)[:3], 0] = 1.0
    W, _ = _pattern_solve(problem, wrong, none_active, no_multiplier, wrong)
    assert problem.infeasibility(W.T @ problem.X) > 1e-3


@pytest.mark.parametrize("family", ["dense", "sparse", "trained", "digits", "cascade", "linear"])
def test_polished_answer_at_epsilon_positive_is_the_optimum(family):
    """ε > 0 with ``polish="always"``: when the ADMM returns the pattern solve (w = w_ls − t·d
    on the iterate's support, signs and active inequalities), that answer is the optimum
    itself — the objective of an ADMM run certified to 1e-10 without the pattern solve, to
    1e-6. Asked for a 1e-9 certificate, which the iterates alone would take thousands of
    steps to reach, every family's run ends on the pattern solve within 5,000 iterations."""
    from nettrim.suite.benchmark import layer_problem

    problem, _ = layer_problem(family, 60, 6, 600, 0.05, seed=0)
    ours = solve(problem, "admm", polish="always", gap_tol=1e-9, feas_tol=1e-9, max_iter=5000)
    tight = solve(problem, "admm", gap_tol=1e-10, feas_tol=1e-10, max_iter=200_000,
                  polish="never")
    assert ours.converged and ours.info["polished"], ours.info
    assert tight.converged
    assert ours.evaluation.l1 == pytest.approx(tight.evaluation.l1, rel=1e-6)
    assert ours.info["gap"] <= 1e-9 and ours.info["infeasibility"] <= 1e-9


@pytest.mark.parametrize("family", ["dense", "sparse", "trained", "digits", "cascade", "linear"])
def test_polish_from_a_default_answer_reaches_the_optimum_and_reuses_its_parts(family):
    """ε > 0: from an ADMM iterate certified at the default tolerances (gap 1e-3; not
    bias-repaired, as the loop hands the polish its iterates), the pattern solve with its
    active-set rounds lands on the optimum to round-off (gap and feasibility ≤ 1e-9); tried
    again from the same iterate with the parts it cached, it re-solves fewer neurons (none
    where one round closed the pattern: only the check's two products are spent)."""
    from nettrim.solvers.admm import _polish, certificate
    from nettrim.suite.benchmark import layer_problem

    problem, _ = layer_problem(family, 60, 6, 600, 0.05, seed=0)
    res = solve(problem, "admm", polish="never", repair=False)
    cache = [None] * problem.M
    pair, spent = _polish(problem, res.W, res.state["Lam"], np.inf, cache=cache)
    gap, infeasibility, _ = certificate(problem, *pair)
    assert gap <= 1e-9 and infeasibility <= 1e-9
    again, spent_again = _polish(problem, res.W, res.state["Lam"], np.inf, cache=cache)
    np.testing.assert_array_equal(again[0], pair[0])
    check = 4.0 * problem.N * problem.M * problem.P
    assert spent_again < spent
    if family == "dense":
        assert spent_again == check


def test_pattern_is_settled_on_a_held_support_at_zero_and_on_few_sign_moves_above():
    from nettrim.solvers.admm import POLISH_CHANGES, _pattern_settled

    signs = np.zeros((400, 5))
    signs[:100] = 1.0                                    # a support of 500
    moved = signs.copy()
    moved[100:100 + int(POLISH_CHANGES * 500), 0] = -1.0  # grown by POLISH_CHANGES of it
    assert _pattern_settled(moved, signs, exact=False)
    moved[200, 0] = 1.0                                  # one more move is too many
    assert not _pattern_settled(moved, signs, exact=False)
    flipped = -signs                                     # same support, every sign moved
    assert _pattern_settled(flipped, signs, exact=True)
    assert not _pattern_settled(flipped, signs, exact=False)


@given(N=st.integers(20, 60), s=st.integers(2, 6), ratio=st.floats(0.5, 1.6),
       trial=st.integers(0, 10_000))
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_admm_at_epsilon_zero_decides_like_the_lp(N, s, ratio, trial):
    """Around the phase transition (P from 0.5 to 1.6 × the predicted P50), the ADMM with
    the exact-recovery tolerances always certifies, and its answer is the LP's optimum."""
    from nettrim.suite.theory import predicted_p50

    P = max(4, int(ratio * predicted_p50(s, N)))
    problem, w = _trial_problem(N, s, P, trial)
    assume(problem is not None)   # no active sample: U = 0, nothing to solve
    lp, ours = solve(problem, "lp"), solve(problem, "admm", **EXACT)
    assert ours.converged, ours.info
    assert ours.evaluation.l1 == pytest.approx(lp.evaluation.l1, rel=1e-5)
    scale = np.linalg.norm(w)
    lp_recovers = np.linalg.norm(lp.W - w) <= 1e-3 * scale
    assert (np.linalg.norm(ours.W - w) <= 1e-3 * scale) == lp_recovers


@pytest.mark.parametrize("case", CASES[::2], ids=lambda c: "pn%d-b%d-V%d-lin%d-d%.1f-g%.2f" % c)
def test_mixed_precision_certifies_the_same_answer_as_double(case):
    """The float32 loop changes the path, not the answer: both runs are certified by the
    float64 certificate, so their objectives agree to the gap tolerance."""
    prob = _problem(2, *case)
    runs = {p: solve(prob, "admm", precision=p) for p in ("mixed", "double")}
    for p, res in runs.items():
        assert res.converged and res.evaluation.feasible, (p, res.info)
        assert res.info["precision"] == p
        assert res.info["gap"] <= 1e-3
        # the reported certificate is the float64 one, not the float32 screen's estimate
        assert res.info["infeasibility"] == pytest.approx(
            prob.infeasibility(res.W.T @ prob.X), rel=1e-9, abs=1e-12)
    assert runs["mixed"].evaluation.l1 == pytest.approx(runs["double"].evaluation.l1, rel=2e-3)


def test_auto_precision_runs_float32_only_within_its_reach(layer):
    X, W, Y = layer
    prob = LayerProblem(X, Y, 0.05 * np.linalg.norm(Y))
    assert solve(prob, "admm").info["precision"] == "mixed"          # the defaults
    for tight in ({"gap_tol": 1e-4}, {"feas_tol": 1e-5}):
        assert solve(prob, "admm", **tight).info["precision"] == "double", tight
    with pytest.raises(ValueError, match="precision must be one of"):
        solve(prob, "admm", precision="half")


@pytest.mark.parametrize("form", ["primal", "kernel"])
def test_a_stalled_float32_run_goes_on_in_float64_and_certifies(layer, form):
    """Asked for a gap float32 rounding cannot certify (1e-8), the mixed run stalls, goes on in
    float64 from the same iterate and is certified there (in both forms of the Gram solve)."""
    X, W, Y = layer if form == "primal" else random_layer(0, N=40, M=3, P=25)
    prob = LayerProblem(X, Y, 0.05 * np.linalg.norm(Y))
    tight = {"gap_tol": 1e-8, "feas_tol": 1e-8, "max_iter": 20_000}
    mixed = solve(prob, "admm", precision="mixed", **tight)
    assert mixed.info["promoted_at"] is not None, mixed.info
    assert mixed.converged and mixed.info["gap"] <= 1e-8, mixed.info
    assert solve(prob, "admm", precision="double", **tight).info["promoted_at"] is None


def test_rho_step_narrows_its_band_when_one_stopping_quantity_is_met():
    """The trained layer's stall: the gap met (0.48 of its tolerance), the infeasibility 8.9×
    its aim — a factor of 4.3 inside the wide band, outside the split one; the same imbalance
    with neither met stays inside the wide band."""
    from nettrim.solvers.admm import rho_step

    step = rho_step(8.9e-4, 1e-4, 0.48e-3, 1e-3)
    assert step == pytest.approx(np.sqrt(8.9 / 0.48))
    assert rho_step(8.9e-3, 1e-4, 4.8e-3, 1e-3) == 1.0
    assert rho_step(1.5e-4, 1e-4, 1.2e-3, 1e-3) == 1.0


@given(p=st.floats(1e-6, 1e6), g=st.floats(-1e3, 1e6))
def test_rho_step_moves_rho_toward_the_lagging_side(p, g):
    """ρ rises only when feasibility lags the gap (relative to their aims), falls only in the
    opposite case, by at most 10×, and holds while the two are within a factor 4."""
    from nettrim.solvers.admm import rho_step

    step = rho_step(p * 1e-4, 1e-4, g * 1e-3, 1e-3)
    assert 0.1 <= step <= 10.0
    ratio = max(p, 1e-3) / max(g, 1e-3)
    if step > 1:
        assert ratio > 1
    if step < 1:
        assert ratio < 1
    if 0.251 <= ratio <= 3.99:   # off the edges, where rounding decides
        assert step == 1.0


def _best_shift_ball(problem, Z, aim):
    """Plainly, neuron by neuron: the ball's residual² when each neuron's row of Z moves by
    its ball-best shift −mean_Ω r_m, held to what keeps its Ωᶜ inequalities within ``aim``."""
    ymax = np.abs(problem.Y).max()
    residual2 = []
    for m in range(problem.M):
        on = problem.omega[m]
        r = Z[m, on] - problem.Y[m, on]
        cap = aim * ymax - (Z[m, ~on] - problem.V[m, ~on]).max() if (~on).any() else np.inf
        shift = min(cap, -r.mean()) if on.any() else min(cap, 0.0)
        residual2.append(np.sum((r + shift) ** 2))
    return np.array(residual2)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), per_neuron=st.booleans(), nonzero_V=st.booleans(),
       gain=st.floats(0.02, 0.3), iterations=st.sampled_from([10, 20, 40]),
       aim=st.sampled_from([1e-4, 1e-2]))
def test_bias_repair_meets_the_constraints_or_says_why_not(seed, per_neuron, nonzero_V, gain,
                                                          iterations, aim):
    """The repair moves the bias row only, and its W' meets both constraints to ``aim``; it
    gives up only where no shift of the bias does (the ball missed even at each neuron's best
    shift the inequalities allow); a W feasible to ``aim`` already comes back unchanged."""
    from nettrim.solvers.admm import bias_repair

    problem = _problem(seed, per_neuron, True, nonzero_V, False, 1.0, gain)
    W = solve(problem, "admm", max_iter=iterations, repair=False).W
    Z = W.T @ problem.X
    found = bias_repair(problem, W, Z, aim)
    best = _best_shift_ball(problem, Z, aim)
    eps = problem.epsilon_m if per_neuron else problem.epsilon
    floor = 1e-2 * np.linalg.norm(problem.Y, axis=1 if per_neuron else None)
    radius2 = (eps + aim * np.maximum(eps, floor)) ** 2
    reachable = np.all(best <= radius2 * (1 + 1e-9)) if per_neuron else \
        best.sum() <= radius2 * (1 + 1e-9)
    if found is None:
        assert not reachable
        return
    W_new, Z_new = found
    assert reachable
    np.testing.assert_array_equal(W_new[:-1], W[:-1])
    np.testing.assert_allclose(Z_new, W_new.T @ problem.X, atol=1e-10 * np.abs(Z).max())
    assert problem.infeasibility(Z_new) <= aim * (1 + 1e-6) + 1e-12
    if problem.infeasibility(Z) <= aim:
        np.testing.assert_array_equal(W_new, W)


@pytest.mark.parametrize("source", ["case3-seed1", "case6-seed0", "digits", "cascade"])
def test_a_bias_repaired_answer_is_certified_and_agrees_with_cvxpy(source):
    """Where the ADMM stops on a bias-repaired iterate (``info["repaired"]``), that answer is
    feasible, at cvxpy's optimum to the gap tolerance, and stopped no later than without it."""
    from nettrim.suite.benchmark import layer_problem

    if source.startswith("case"):
        case, seed = (int(part[-1]) for part in source.split("-"))
        problem = _problem(seed, *CASES[case])
    else:
        problem = layer_problem(source, 60, 6, 600, 0.05, seed=0)[0]
    ours, plain = solve(problem, "admm"), solve(problem, "admm", repair=False)
    reference = solve(problem, "cvxpy")
    assert ours.status == plain.status == reference.status == "converged"
    assert ours.info["repaired"] and not plain.info["repaired"]
    assert ours.evaluation.feasible
    assert ours.evaluation.l1 == pytest.approx(reference.evaluation.l1, rel=1e-3)
    assert ours.info["iterations"] <= plain.info["iterations"]


def test_the_repair_needs_a_bias_and_a_ball_and_is_checked():
    from nettrim.solvers.admm import repairable

    assert repairable(_problem(0, *CASES[2]))                         # bias, ε > 0
    assert not repairable(_problem(0, *CASES[0]))                     # no bias
    X, W, Y = random_layer(0, N=15, M=4, P=60, bias=True)
    assert not repairable(LayerProblem(X, Y, 0.0, bias=True))         # ε = 0
    with pytest.raises(TypeError, match="repair must be true or false; got 'yes'"):
        solve(_problem(0, *CASES[2]), "admm", repair="yes")


def test_a_float32_plateau_that_still_moves_stays_in_float32():
    """The promotion rule: a stall whose last step moved W2 by float32 rounding (1e-7
    relative) goes on in float64 after STALL_TESTS tests; one that moved by 2e-4 (MNIST layer
    1's plateau at gain 0.02) only after STALL_TESTS_MOVING; neither before half the tests."""
    from nettrim.solvers.admm import (
        ROUNDING_STEP,
        STALL_TESTS,
        STALL_TESTS_MOVING,
        _float32_stalled,
    )

    rng = np.random.default_rng(0)
    W2 = rng.standard_normal((30, 5))
    direction = rng.standard_normal(W2.shape)
    direction /= np.linalg.norm(direction)
    nudged = W2 - 0.5 * ROUNDING_STEP * np.linalg.norm(W2) * direction   # rounding-sized
    moved = W2 - 2e-4 * np.linalg.norm(W2) * direction                  # a plateau's step
    assert _float32_stalled(STALL_TESTS, 2 * STALL_TESTS, W2, nudged)
    assert not _float32_stalled(STALL_TESTS - 1, 2 * STALL_TESTS, W2, nudged)
    assert not _float32_stalled(STALL_TESTS, 2 * STALL_TESTS + 2, W2, nudged)  # < half the tests
    assert not _float32_stalled(STALL_TESTS, 2 * STALL_TESTS, W2, moved)
    assert not _float32_stalled(STALL_TESTS_MOVING - 1, 2 * STALL_TESTS_MOVING, W2, moved)
    assert _float32_stalled(STALL_TESTS_MOVING, 2 * STALL_TESTS_MOVING, W2, moved)
    assert _float32_stalled(STALL_TESTS, 2 * STALL_TESTS, np.zeros_like(W2), np.zeros_like(W2))
