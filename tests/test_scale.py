"""The real-scale benchmark's sweep: every lever prunes to the same certified networks, and the
summary reads them back."""

import numpy as np
import pytest

from nettrim.network import Network
from nettrim.suite import scale


def _net(seed=0, sizes=(12, 16, 8, 3)):
    rng = np.random.default_rng(seed)
    Ws = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [0.1 * rng.standard_normal(b) for b in sizes[1:]]
    X = rng.standard_normal((sizes[0], 400))
    labels = np.argmax(Network(Ws, bs).forward(X)[-1], axis=0)
    return Network(Ws, bs), X, labels


def test_every_lever_gives_the_same_prunings():
    net, X, labels = _net()
    gains = [0.05, 0.2]
    tables = {lever: scale.gain_sweep(net, X, gains, lever, X_all=X, test=(X, labels))
              for lever in scale.LEVERS}
    ref = tables["cold"]
    for lever, t in tables.items():
        assert t["gain"].tolist() == gains and (t["lever"] == lever).all()
        assert t["converged"].all() and t["bound_held"].all()
        # the same optimum to the solver's tolerance: counts may differ by round-off only
        assert t["compression"].to_numpy() == pytest.approx(ref["compression"], rel=0.05)
        assert t["discrepancy"].to_numpy() == pytest.approx(ref["discrepancy"], rel=0.05)
    assert (ref["discrepancy_all"] == ref["discrepancy"]).all()   # X_all is X here
    assert (ref["acc_test"] <= 1).all() and (ref["sparsegpt_time"] > 0).all()
    # SparseGPT may use the cores one Net-Trim pruning of the lever gets, and no more
    cap = {"cold": 1, "warm": 1, "cold_workers": 1, "warm_workers": 1, "cold_threads": 2,
           "warm_threads": 2, "cold_auto": 2, "cold_numpy": 1, "cold_threads_numpy": 2}
    for lever, t in tables.items():
        assert t["sparsegpt_threads"].between(1, cap[lever]).all(), lever
    runs = __import__("pandas").concat(tables.values(), ignore_index=True)
    md = scale.summary_markdown(runs, original_acc=1.0)
    assert md.count("\n| 400 |") == len(scale.LEVERS)


def test_the_numpy_levers_ask_the_solver_for_numpy_kernels(monkeypatch):
    """``*_numpy`` levers set ``kernels="numpy"`` over the study's options; the others pass
    the study's options as they are."""
    net, X, labels = _net()
    seen = []

    def spy(*args, **kwargs):
        seen.append(kwargs.get("kernels"))
        return real(*args, **kwargs)

    real = scale.prune_path
    monkeypatch.setattr(scale, "prune_path", spy)
    for lever in ("cold_numpy", "cold_threads_numpy", "cold"):
        scale.gain_sweep(net, X, [0.1], lever, kernels="auto")
    assert seen == ["numpy", "numpy", "auto"]


def test_timed_sparsegpt_is_sparsegpt_at_its_best_time():
    from nettrim.baselines import sparsegpt_prune

    net, X, _ = _net()
    counts = [n // 3 for n in net.nnz()]
    pruned, seconds, threads = scale.timed_sparsegpt(net, X, counts, threads=2, repeats=2)
    ref = sparsegpt_prune(net, X, counts)
    assert pruned.nnz() == ref.nnz() == counts
    for a, b in zip(pruned.weights, ref.weights):
        np.testing.assert_array_equal(a, b)
    assert seconds > 0 and threads in (1, 2)
    with pytest.raises(ValueError, match="repeats"):
        scale.timed_sparsegpt(net, X, counts, repeats=0)


def test_gain_sweep_refuses_an_unknown_lever():
    net, X, _ = _net()
    with pytest.raises(ValueError, match="lever must be one of"):
        scale.gain_sweep(net, X, [0.1], "tepid")


def test_layer_timing_reports_what_each_solver_returned():
    net, X, _ = _net()
    problem = scale.layer_program(net, 1, X, 0.1)
    assert problem.X.shape == (17, 400) and problem.epsilon == pytest.approx(
        0.1 * np.linalg.norm(net.forward(X)[2]))
    error = {"error_all": lambda Ws: scale.layer_errors(net, 1, Ws, X, chunk=150)}
    table = scale.layer_timing(problem, threads=[1, 2], authors_iterations=40, errors=error)
    ours, theirs = table.iloc[:2], table.iloc[2]
    assert ours["threads"].tolist() == [1, 2] and (ours["status"] == "converged").all()
    assert ours["feasible"].all() and (ours["omega_residual"] <= ours["epsilon"] * 1.0001).all()
    assert theirs["iterations"] == 40 and theirs["status"] == "max_iter"
    # Proposition 1: a feasible W has a ReLU error at most ε (V = 0), here ε = 0.1‖Y‖
    assert (ours["error_all"] <= 0.1 * 1.0001).all()
    # the chunked error is the one-shot error
    W_aug = np.vstack([net.weights[1], net.biases[1]])
    assert scale.layer_errors(net, 1, [W_aug, 0 * W_aug], X, chunk=7) == [0.0, 1.0]
    table.insert(0, "P", 400)
    table["error_subset"] = table["error_all"]
    assert scale.layer_summary_markdown(table, 0.1).count("\n| 400 |") == 3
    assert scale.layer_timing(problem, threads=[1], authors_iterations=0)["solver"].tolist() \
        == ["admm"]


def test_layer_timing_tunes_the_authors_solver_to_our_answer_or_reports_the_cut_off():
    net, X, _ = _net()
    problem = scale.layer_program(net, 1, X, 0.1)
    table = scale.layer_timing(problem, threads=[1], authors_iterations=0,
                               tuned_rhos=[1.0, 1e6], tuned_budget=50.0)
    ours, good, bad = table.iloc[0], table.iloc[1], table.iloc[2]
    assert good["solver"] == "authors tuned (ρ = 1, oracle stop)"
    # stopped by the oracle: our ‖W‖₁ to 1e-3 and ε to 1e-3
    assert good["status"] == "converged" and good["l1"] <= ours["l1"] * 1.001
    assert good["omega_residual"] <= good["epsilon"] * 1.001
    # ρ = 1e6 thresholds at 1e-6: it crawls and is cut off at 50× our time, not reported met
    assert bad["status"] == "max_iter" and bad["time"] >= 50 * ours["time"]
    with pytest.raises(ValueError, match="tuned_rhos needs our one-thread run"):
        scale.layer_timing(problem, threads=[2], authors_iterations=0, tuned_rhos=[1.0])


def test_layer_program_refuses_a_layer_that_is_not_there():
    net, X, _ = _net()
    with pytest.raises(ValueError, match="layer must be below the network's 3 layers"):
        scale.layer_program(net, 3, X, 0.1)


def test_iteration_trace_reads_the_iterates_the_solver_takes_and_certifies():
    """Each row is a stopping test of the default solve: the last is where it stopped, with its
    certificate; every earlier row's certificate comes from a rerun that retraced the same
    iterate (else RuntimeError); the objective gaps are against an optimum the certified
    answer is within gap_tol of; the summary reads the first tests back."""
    from threadpoolctl import threadpool_limits

    from nettrim.solvers.admm import solve_admm

    net, X, _ = _net(sizes=(30, 40, 8, 3))
    problem = scale.layer_program(net, 0, X, 0.1)
    trace = scale.iteration_trace(problem, threads=1)
    with threadpool_limits(limits=1, user_api="blas"):
        ref = solve_admm(problem.restricted(~problem.vanishing_rows))
    assert trace["iteration"].tolist() == list(range(10, ref.info["iterations"] + 1, 10))
    last = trace.iloc[-1]
    assert last["status"] == "converged" and (trace["status"].iloc[:-1] == "max_iter").all()
    assert last["certificate_gap"] == ref.info["gap"] <= 1e-3
    # the certified answer (repaired or not) is within gap_tol of the optimum, from above
    answer = last["repaired_objective_gap"] if ref.info["repaired"] else last["objective_gap"]
    assert -1e-4 <= answer <= 1e-3 + 1e-6
    assert last["repaired"] or not ref.info["repaired"]
    md = scale.trace_summary_markdown(trace)
    assert f"the run stopped at {ref.info['iterations']} (converged)" in md
    assert md.count("\n| ") == len(trace) + 1


def test_iteration_trace_refuses_an_unconverged_reference():
    net, X, _ = _net(sizes=(30, 40, 8, 3))
    problem = scale.layer_program(net, 0, X, 0.1)
    with pytest.raises(RuntimeError, match="reference solve did not converge"):
        scale.iteration_trace(problem, threads=1, reference_max_iter=20)
