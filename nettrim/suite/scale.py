"""Net-Trim at the scale of a real network: what a gain sweep costs, lever by lever.

One *lever* is a way of running the parallel scheme over a sweep of gains
(:data:`LEVERS`): every gain from scratch on one BLAS thread (how the studies ran until now),
warm-started along the path (:func:`nettrim.schemes.prune_path`), and with more BLAS threads
for the one big solve at a time. :func:`gain_sweep` runs one lever on one calibration subset
and returns a row per gain: wall time, per-layer times and iterations, counts, accuracy, ε_rd
on the subset and on every training input, and SparseGPT's time at the same counts (the
one-shot pruner the issue compares against).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._validation import check_int, check_scalar
from ..baselines import sparsegpt_prune
from ..network import Network
from ..problem import LayerProblem
from ..schemes import prune_path, relative_discrepancy
from .train import accuracy

#: lever → (warm-started along the path, BLAS threads per solve, worker processes; None:
#: ``threads``). Workers split the gains: ``cold_workers`` one gain per task, ``warm_workers``
#: one warm chain per worker (every ``threads``-th gain in increasing order). ``cold_auto``
#: leaves the choice to :func:`nettrim.solve`'s ``blas_threads="auto"`` (one thread for the
#: small layers, ``threads`` for the big ones).
LEVERS = {"cold": (False, 1, 1), "cold_threads": (False, None, 1), "warm": (True, 1, 1),
          "warm_threads": (True, None, 1), "cold_workers": (False, 1, None),
          "warm_workers": (True, 1, None), "cold_auto": (False, "auto", 1),
          "cold_numpy": (False, 1, 1), "cold_threads_numpy": (False, None, 1)}
#: ADMM options a lever sets over the study's: the ``*_numpy`` levers run the iteration's
#: elementwise work in numpy rather than the fused loops (``kernels``), to price them.
LEVER_OPTIONS = {"cold_numpy": {"kernels": "numpy"}, "cold_threads_numpy": {"kernels": "numpy"}}


def check_lever(lever) -> str:
    """``lever`` if it names one of :data:`LEVERS`, else ValueError naming them."""
    if lever not in LEVERS:
        raise ValueError(f"lever must be one of {sorted(LEVERS)}; got {lever!r}")
    return lever


def gain_sweep(net: Network, X, gains, lever: str, *, X_all=None, test=None,
               threads: int = 2, **options) -> pd.DataFrame:
    """The parallel scheme at every gain of ``gains`` on the inputs ``X``, run by ``lever``.

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
        The calibration inputs the programs are solved on.
    gains : sequence of float
    lever : {"cold", "cold_threads", "cold_auto", "warm", "warm_threads", "cold_workers",
             "warm_workers", "cold_numpy", "cold_threads_numpy"}
        ``cold``: every gain from scratch, one BLAS thread; ``warm``: along the path
        (:func:`~nettrim.schemes.prune_path`), one thread; ``*_threads``: the same with
        ``threads`` BLAS threads; ``cold_auto``: ``blas_threads="auto"`` under a cap of
        ``threads``; ``*_workers``: ``threads`` worker processes of one thread, the gains
        split between them (each worker's share warm-started along its own path);
        ``*_numpy``: as without the suffix, the ADMM's elementwise work in numpy
        (``kernels="numpy"``, :data:`LEVER_OPTIONS`).
    X_all : array of shape (n₀, P_all), optional
        Every training input: ε_rd beyond the subset (``discrepancy_all``).
    test : (X_test, y_test), optional
        Test inputs and labels: ``acc_test`` of each pruned network.
    threads : int, default 2
        BLAS threads of the ``*_threads`` levers, worker processes of the ``*_workers`` ones.
    **options
        ADMM options (e.g. ``gap_tol``).

    Returns
    -------
    DataFrame
        One row per gain: ``lever``, ``P``, ``gain``, ``wall`` (seconds for this gain's
        layers, from the solver's clocks), ``layer<i>_time`` / ``layer<i>_iterations`` /
        ``layer<i>_nnz``, ``compression``, ``converged``, ``bound_held``, ``discrepancy``
        (and ``discrepancy_all``), ``acc_test``, ``sparsegpt_time`` (the same counts, its
        best time by :func:`timed_sparsegpt` on up to one BLAS thread for the one-thread and
        worker levers, ``threads`` for the others; ``sparsegpt_threads`` the count that gave
        it) and ``sparsegpt_acc_test``; ``sweep_wall`` repeats the whole sweep's wall time on
        every row.
    """
    warm, n_threads, n_workers = LEVERS[check_lever(lever)]
    options = {**options, **LEVER_OPTIONS.get(lever, {})}
    threads = check_int(threads, "threads", low=1)
    n_threads, n_workers = n_threads or threads, n_workers or threads
    # SparseGPT may use the cores one Net-Trim pruning gets (a worker's pruning runs on one)
    gpt_threads = 1 if n_threads == 1 else threads
    start = time.perf_counter()
    if n_workers == 1:
        with threadpool_limits(limits=threads, user_api="blas"):   # "auto"'s ceiling
            results = prune_path(net, X, gains, warm_start=warm, blas_threads=n_threads,
                                 **options)
    else:
        results = _split_path(net, X, gains, warm, n_workers, options)
    sweep_wall = time.perf_counter() - start
    before = sum(net.nnz())
    rows = []
    for gain, res in zip(gains, results):
        rep, pruned = res.report, res.network
        row = {"lever": lever, "P": X.shape[1], "gain": gain,
               "wall": float(rep["time"].sum()), "sweep_wall": sweep_wall,
               "compression": before / max(sum(pruned.nnz()), 1),
               "converged": res.converged, "bound_held": bool(rep["bound_held"].all()),
               "discrepancy": relative_discrepancy(net, pruned, X)}
        for r in rep.itertuples():
            row.update({f"layer{r.layer}_time": r.time, f"layer{r.layer}_iterations":
                        r.iterations, f"layer{r.layer}_nnz": r.nnz_after})
        if X_all is not None:
            row["discrepancy_all"] = relative_discrepancy(net, pruned, X_all)
        gpt, row["sparsegpt_time"], row["sparsegpt_threads"] = timed_sparsegpt(
            net, X, pruned.nnz(), threads=gpt_threads)
        if test is not None:
            row["acc_test"] = accuracy(pruned, *test)
            row["sparsegpt_acc_test"] = accuracy(gpt, *test)
        rows.append(row)
    return pd.DataFrame(rows)


def timed_sparsegpt(net: Network, X, counts, *, threads: int = 1, repeats: int = 3):
    """SparseGPT's pruning of ``net`` to ``counts`` on ``X``, timed at its best.

    The baseline gets its strongest showing: the least of ``repeats`` runs on each BLAS thread
    count from 1 to ``threads`` (on small layers one thread beats two). Net-Trim's solves are
    timed once, so a ratio against this time errs against Net-Trim.

    Returns
    -------
    network : Network
        The pruned network (every run gives the same one).
    seconds : float
        The least wall time.
    threads : int
        The BLAS thread count that gave it.
    """
    threads = check_int(threads, "threads", low=1)
    repeats = check_int(repeats, "repeats", low=1)
    best = (np.inf, 1)
    for n in range(1, threads + 1):
        with threadpool_limits(limits=n, user_api="blas"):
            for _ in range(repeats):
                t0 = time.perf_counter()
                pruned = sparsegpt_prune(net, X, counts)
                best = min(best, (time.perf_counter() - t0, n))
    return pruned, best[0], best[1]


def head_to_head(net: Network, X, gain: float, *, repeats: int = 5, threads: int = 2,
                 **options) -> pd.DataFrame:
    """Net-Trim's pruning at one gain against SparseGPT at its counts, timed in alternation.

    A sweep times each Net-Trim pruning once and SparseGPT's at its best of three a little
    later (:func:`gain_sweep`); the machine's speed moves by up to 1.7× between hours, and a
    single solve can catch a slow second. Here each of ``repeats`` rounds times the whole
    call of the parallel scheme at ``gain`` on X (``blas_threads="auto"`` under a cap of
    ``threads``: the ``cold_auto`` lever) and, right after it, SparseGPT at the pruned
    network's per-layer counts once on each BLAS thread count from 1 to ``threads``; both
    are whole calls (the forward passes for the layers' inputs included). The rounds' least
    and median times then compare the two under the same machine.

    Parameters
    ----------
    net : Network
    X : array of shape (n₀, P)
        The calibration inputs.
    gain : float
    repeats : int, default 5
    threads : int, default 2
    **options
        ADMM options.

    Returns
    -------
    DataFrame
        One row per round: ``round``, ``P``, ``gain``, ``nettrim_time`` (the whole call),
        ``layer<i>_time`` / ``layer<i>_iterations``, ``compression``, ``converged``,
        ``sparsegpt_time_<n>`` for n BLAS threads and ``sparsegpt_time`` (their least),
        ``same_counts`` (SparseGPT's network has Net-Trim's per-layer counts).
    """
    repeats = check_int(repeats, "repeats", low=1)
    threads = check_int(threads, "threads", low=1)
    gain = check_scalar(gain, "gain", low=0.0)
    before = sum(net.nnz())
    rows = []
    for k in range(repeats):
        t0 = time.perf_counter()
        with threadpool_limits(limits=threads, user_api="blas"):
            res = prune_path(net, X, [gain], blas_threads="auto", **options)[0]
        row = {"round": k, "P": X.shape[1], "gain": gain,
               "nettrim_time": time.perf_counter() - t0,
               "compression": before / max(sum(res.network.nnz()), 1),
               "converged": res.converged}
        for r in res.report.itertuples():
            row.update({f"layer{r.layer}_time": r.time,
                        f"layer{r.layer}_iterations": r.iterations})
        counts = res.network.nnz()
        for n in range(1, threads + 1):
            with threadpool_limits(limits=n, user_api="blas"):
                t0 = time.perf_counter()
                gpt = sparsegpt_prune(net, X, counts)
                row[f"sparsegpt_time_{n}"] = time.perf_counter() - t0
        row["sparsegpt_time"] = min(row[f"sparsegpt_time_{n}"] for n in range(1, threads + 1))
        row["same_counts"] = gpt.nnz() == counts
        rows.append(row)
    return pd.DataFrame(rows)


def _split_path(net, X, gains, warm, n_workers, options):
    """:func:`prune_path` on ``n_workers`` processes: one gain per task from scratch, or one
    warm chain per worker (every n-th gain in increasing order); results in ``gains``' order."""
    from joblib import Parallel, delayed

    order = sorted(range(len(gains)), key=lambda j: gains[j])
    chains = ([order[i::n_workers] for i in range(n_workers)] if warm
              else [[j] for j in order])
    done = Parallel(n_jobs=n_workers)(
        delayed(prune_path)(net, X, [gains[j] for j in chain], warm_start=warm, **options)
        for chain in chains if chain)
    results = {}
    for chain, res in zip([c for c in chains if c], done):
        results.update(zip(chain, res))
    return [results[j] for j in range(len(gains))]


def summary_markdown(runs: pd.DataFrame, original_acc: float, points: float = 0.01) -> str:
    """Per (P, lever): the sweep's wall time and layer iterations, its speed-up over ``cold``
    at the same P, and at Net-Trim's most compressed gain within ``points`` of
    ``original_acc``: compression, accuracy, Net-Trim's time for that gain against
    SparseGPT's at the same counts."""
    from .summary import markdown_table

    layers = sorted(c for c in runs if c.startswith("layer") and c.endswith("_iterations"))
    header = ["P", "lever", "sweep wall (s)", "speed-up over cold",
              "iterations per layer (sum over gains)", "all converged",
              "best within 1 point: gain, compression, accuracy",
              "its Net-Trim time (s)", "SparseGPT time (s) [BLAS threads]", "ratio"]
    rows = []
    for (P, lever), g in runs.groupby(["P", "lever"], sort=False):
        cold = runs[(runs["P"] == P) & (runs["lever"] == "cold")]
        wall = g["sweep_wall"].iat[0]
        speedup = f"{cold['sweep_wall'].iat[0] / wall:.2f}×" if len(cold) else "–"
        ok = g[g["acc_test"] >= original_acc - points] if "acc_test" in g else g.iloc[:0]
        if len(ok):
            b = ok.loc[ok["compression"].idxmax()]
            best = [f"{b['gain']:g}, {b['compression']:.2f}×, {b['acc_test']:.4f}",
                    f"{b['wall']:.1f}",
                    f"{b['sparsegpt_time']:.2f} [{int(b.get('sparsegpt_threads', 1))}]",
                    f"{b['wall'] / b['sparsegpt_time']:.0f}×"]
        else:
            best = ["none within 1 point", "–", "–", "–"]
        rows.append([str(P), lever, f"{wall:.1f}", speedup,
                     " / ".join(str(int(g[c].sum())) for c in layers),
                     "yes" if g["converged"].all() else "**no**", *best])
    gains = runs["gain"].unique()
    n = _WORDS[len(gains)] if len(gains) < len(_WORDS) else str(len(gains))
    return (f"Original test accuracy {original_acc:.4f}; {n}-gain sweeps of the parallel "
            f"scheme (gains {', '.join(f'{x:g}' for x in gains)}).\n\n"
            + markdown_table(header, rows))


def head_summary_markdown(rounds: pd.DataFrame) -> str:
    """Per (P, gain) of :func:`head_to_head`'s rounds: Net-Trim's and SparseGPT's least and
    median times, their ratios, and the range of the rounds' own ratios."""
    from .summary import markdown_table

    header = ["P", "gain", "compression", "all converged, same counts", "rounds",
              "Net-Trim least / median (s)", "SparseGPT least / median (s)",
              "ratio of least", "ratio of medians", "rounds' ratios"]
    rows = []
    for (P, gain), g in rounds.groupby(["P", "gain"], sort=False):
        nt, gpt = g["nettrim_time"], g["sparsegpt_time"]
        per = nt / gpt
        ok = bool(g["converged"].all() and g["same_counts"].all())
        rows.append([str(P), f"{gain:g}", f"{g['compression'].iat[0]:.2f}×",
                     "yes" if ok else "**no**", str(len(g)),
                     f"{nt.min():.2f} / {nt.median():.2f}", f"{gpt.min():.3f} / {gpt.median():.3f}",
                     f"{nt.min() / gpt.min():.1f}×", f"{nt.median() / gpt.median():.1f}×",
                     f"{per.min():.1f}–{per.max():.1f}×"])
    return ("Net-Trim (the parallel scheme at one gain, `blas_threads=\"auto\"`, two threads at "
            "most) and SparseGPT (the same per-layer counts, its better of one and two BLAS "
            "threads) timed in alternation, whole calls.\n\n" + markdown_table(header, rows))


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def layer_timing(problem, *, threads=(1, 2), authors_rho: float = 1.0,
                 authors_iterations: int = 300, tuned_rhos=(), tuned_budget: float = 2.0,
                 errors=None, **options) -> pd.DataFrame:
    """One layer's program solved by our ADMM on each BLAS thread count of ``threads``, by the
    authors' solver as their MNIST scripts run it, and by their solver tuned.

    *As shipped*: ρ = ``authors_rho``, a fixed ``authors_iterations`` iterations (their
    NetTrimWrapper's 30 rounds of 10; 0 skips it). *Tuned*: each ρ of ``tuned_rhos`` with the
    oracle stop ``make bench`` gives it (:func:`~nettrim.suite.benchmark.meets_target`: our
    one-thread answer's ‖W‖₁ to 1e-3 and feasibility to 1e-3, checked every 10 iterations
    outside the timed part), cut off at ``tuned_budget`` times our one-thread time (status
    ``max_iter``: it did not get there in that time). Theirs run on one BLAS thread.
    ``errors``: optional {column: f(Ws)}, f mapping the list of returned Ws to one float
    each (e.g. the layer's error on every training input, :func:`layer_errors`, which then
    passes over those inputs once). ``options`` go to our ADMM.

    Returns
    -------
    DataFrame
        One row per run: ``solver``, ``threads``, ``status``, ``iterations``, ``time`` (the
        solver's own clock), ``nnz``, ``l1``, ``epsilon``, ``omega_residual``
        (‖(WᵀX − Y)_Ω‖_F, against ε), ``omega_c_violation`` and ``feasible`` (to 1e-4, the
        test every pruning in this project passes), all of the weights the solver returns.
    """
    from ..prune import solve
    from .benchmark import authors_admm, meets_target

    threads = [check_int(n, "threads", low=1) for n in threads]
    tuned_rhos = [check_scalar(r, "tuned_rhos", low=0.0, low_inclusive=False)
                  for r in tuned_rhos]
    tuned_budget = check_scalar(tuned_budget, "tuned_budget", low=0.0, low_inclusive=False)
    if tuned_rhos and 1 not in threads:
        raise ValueError("tuned_rhos needs our one-thread run (1 in threads): its answer is "
                         f"the tuned runs' target and its time their budget; got {threads}")
    runs = []
    for n in threads:
        with threadpool_limits(limits=n, user_api="blas"):
            res = solve(problem, "admm", **options)
        runs.append(("admm", n, res.W, res.status, res.info))
    if check_int(authors_iterations, "authors_iterations", low=0):
        with threadpool_limits(limits=1, user_api="blas"):
            theirs = authors_admm(problem, authors_rho, max_iter=authors_iterations,
                                  stop=_never)
        runs.append((f"authors (ρ = {authors_rho:g}, {authors_iterations} iterations)", 1,
                     theirs.W, theirs.status, theirs.info))
    if tuned_rhos:
        ours = next(r for r in runs if r[0] == "admm" and r[1] == 1)
        best_l1, budget = float(np.abs(ours[2]).sum()), tuned_budget * ours[4]["time"]
        for rho in tuned_rhos:
            with threadpool_limits(limits=1, user_api="blas"):
                theirs = authors_admm(problem, rho, max_iter=10**9, time_budget=budget,
                                      stop=lambda W: meets_target(problem, W, best_l1))
            runs.append((f"authors tuned (ρ = {rho:g}, oracle stop)", 1, theirs.W,
                         theirs.status, theirs.info))
    columns = {name: f([W for _, _, W, _, _ in runs]) for name, f in (errors or {}).items()}
    rows = []
    for i, (solver, n, W, status, info) in enumerate(runs):
        ev = problem.evaluate(W)
        rows.append({"solver": solver, "threads": n, "status": status,
                     "iterations": info["iterations"], "time": info["time"], "nnz": ev.nnz,
                     "l1": ev.l1, "epsilon": ev.epsilon, "omega_residual": ev.omega_residual,
                     "omega_c_violation": ev.omega_c_violation, "feasible": ev.feasible,
                     **{name: values[i] for name, values in columns.items()}})
    return pd.DataFrame(rows)


def _never(W) -> bool:
    """An oracle that never stops: the authors' scripts run a fixed number of iterations."""
    return False


def layer_program(net: Network, layer: int, X, gain: float) -> LayerProblem:
    """Dense layer ``layer``'s program on the inputs X (the parallel scheme's: the original
    network's signals), ε = gain·‖Y‖_F."""
    layer = check_int(layer, "layer", low=0)
    if layer >= net.n_layers:
        raise ValueError(f"layer must be below the network's {net.n_layers} layers; got {layer}")
    if net.convs[layer] is not None:
        raise ValueError(f"layer must be a dense layer; layer {layer} is a convolution")
    signals = net.forward(X)
    Y = signals[layer + 1]
    return LayerProblem(net.layer_inputs(layer, signals[layer]), Y,
                        gain * float(np.linalg.norm(Y)), bias=net.has_bias[layer],
                        linear=not net.is_relu(layer))


def layer_errors(net: Network, layer: int, Ws, X, chunk: int = 5000) -> list[float]:
    """‖Y − ReLU(ŴᵀX̃)‖_F / ‖Y‖_F of dense layer ``layer`` with each solution of ``Ws`` (its
    bias the last row when the layer has one) on the inputs X: how well a layer pruned on a
    subset reproduces its response on every input. One forward pass over X, in chunks of
    ``chunk`` columns (the signals of 60,000 LeNet inputs do not fit in memory at once)."""
    chunk = check_int(chunk, "chunk", low=1)
    bias = net.has_bias[layer]
    parts = [(W[:-1], W[-1]) if bias else (W, np.zeros(W.shape[1])) for W in Ws]
    err, ref = np.zeros(len(parts)), 0.0
    for start in range(0, X.shape[1], chunk):
        signals = net.forward(X[:, start:start + chunk])
        Y = signals[layer + 1]
        ref += float(np.sum(Y ** 2))
        for i, (W, b) in enumerate(parts):
            err[i] += float(np.sum((net.apply_layer(layer, signals[layer], W, b) - Y) ** 2))
    return list(np.sqrt(err / ref))


def layer_summary_markdown(runs: pd.DataFrame, gain: float) -> str:
    """The :func:`layer_timing` rows of every P as one table: who met ε, in what time."""
    from .summary import markdown_table

    header = ["P", "solver", "BLAS threads", "status", "iterations", "time (s)", "nonzeros",
              "‖(WᵀX − Y)_Ω‖ / ε", "feasible (1e-4)", "ReLU error on the P", "on all 60,000"]
    rows = [[str(r.P), r.solver, str(r.threads), r.status, str(r.iterations), f"{r.time:.1f}",
             f"{r.nnz:,}", f"{r.omega_residual / r.epsilon:.4f}",
             "yes" if r.feasible else "**no**", f"{r.error_subset:.4f}", f"{r.error_all:.4f}"]
            for r in runs.itertuples()]
    return (f"ε = {gain:g}·‖Y‖_F on the P calibration inputs; errors are ‖Y − ReLU(ŴᵀX)‖_F / "
            "‖Y‖_F.\n\n" + markdown_table(header, rows))


def iteration_trace(problem: LayerProblem, *, threads: int = 2, reference_tol: float = 1e-6,
                    reference_max_iter: int = 10**6, **options) -> pd.DataFrame:
    """Where an ADMM solve's iterations go: at each stopping test, how far the iterate is from
    the optimum, how far from feasible, whether the bias repair reaches it, and what the
    certificate says.

    The program is solved once to ``reference_tol`` (gap and feasibility; at most
    ``reference_max_iter`` iterations) for its optimum ‖W*‖₁, then with ``options`` while a
    callback reads the iterate W2 at every test; each test's certificate (dual-bound gap and
    infeasibility, as the solver computes them) comes from a rerun stopped there
    (``max_iter``), checked to retrace the same iterate (its ‖W2‖₁ to 1e-9). Vanishing rows
    are left out first, as :func:`nettrim.solve` does. On ``threads`` BLAS threads
    throughout (iterates round differently on other counts).

    Returns
    -------
    DataFrame
        One row per test: ``iteration``; ``objective_gap`` (‖W2‖₁/‖W*‖₁ − 1, signed: an
        infeasible iterate may sit below the optimum) and ``infeasibility`` (relative, as
        :meth:`~nettrim.problem.LayerProblem.infeasibility`); ``repaired`` (whether
        :func:`~nettrim.solvers.admm.bias_repair` at 0.9·feas_tol finds a point; False on a
        program it does not apply to) and that point's ``repaired_objective_gap`` and
        ``repaired_infeasibility`` (NaN when not); ``certificate_gap`` and
        ``certificate_infeasibility`` of the run stopped at that test (the last row: the
        finished run's); ``status``: ``max_iter`` but the last row's, the run's own.

    Raises
    ------
    RuntimeError
        When the reference solve does not converge (no optimum to measure against), or a
        rerun does not retrace the iterate it stops at.
    """
    from ..solvers.admm import REPAIR_AIM, bias_repair, check_options, repairable, solve_admm

    threads = check_int(threads, "threads", low=1)
    reference_tol = check_scalar(reference_tol, "reference_tol", low=0.0, low_inclusive=False)
    reference_max_iter = check_int(reference_max_iter, "reference_max_iter", low=1)
    feas_tol = check_options(**options)["feas_tol"]
    program = problem.restricted(~problem.vanishing_rows)
    fixable = repairable(program)
    rows = []

    def read(k, W):
        Z = W.T @ program.X
        fixed = bias_repair(program, W, Z, REPAIR_AIM * feas_tol) if fixable else None
        rows.append({"iteration": k, "l1": float(np.abs(W).sum()),
                     "infeasibility": program.infeasibility(Z), "repaired": fixed is not None,
                     "repaired_l1": float(np.abs(fixed[0]).sum()) if fixed else np.nan,
                     "repaired_infeasibility": (program.infeasibility(fixed[1]) if fixed
                                                else np.nan)})

    with threadpool_limits(limits=threads, user_api="blas"):
        ref = solve_admm(program, **{**options, "gap_tol": reference_tol,
                                     "feas_tol": reference_tol,
                                     "max_iter": reference_max_iter})
        if ref.status != "converged":
            raise RuntimeError(f"the reference solve did not converge ({ref.status}): no "
                               "optimum to trace against")
        best = float(np.abs(ref.W).sum())
        run = solve_admm(program, **options, callback=read)
        # the callback sees no multiplier, so each earlier test's certificate is a rerun's
        for row in rows[:-1]:
            stopped = solve_admm(program, **{**options, "max_iter": row["iteration"]})
            if not np.isclose(np.abs(stopped.W).sum(), row["l1"], rtol=1e-9, atol=0.0):
                raise RuntimeError(f"the rerun stopped at iteration {row['iteration']} did "
                                   "not retrace the iterate it stops at")
            row["stopped"] = stopped
        rows[-1]["stopped"] = run
    for row in rows:
        stopped = row.pop("stopped")
        row.update(certificate_gap=stopped.info["gap"],
                   certificate_infeasibility=stopped.info["infeasibility"], status=stopped.status)
    trace = pd.DataFrame(rows)
    trace.insert(1, "objective_gap", trace.pop("l1") / best - 1)
    trace.insert(5, "repaired_objective_gap", trace.pop("repaired_l1") / best - 1)
    return trace


def trace_summary_markdown(trace: pd.DataFrame, gap_tol: float = 1e-3,
                           feas_tol: float = 1e-4) -> str:
    """The :func:`iteration_trace` rows as one table, led by the first test at which an
    oracle that knew the optimum could stop (objective within ``gap_tol`` and feasible to
    ``feas_tol``; as iterated, and after the bias repair), the certificate's gap met, and
    the run's own stop."""
    from .summary import markdown_table

    def first(mask) -> str:
        hits = trace.loc[mask, "iteration"]
        return str(int(hits.iloc[0])) if len(hits) else "never"

    close = trace["objective_gap"].abs() <= gap_tol
    feasible = trace["infeasibility"] <= feas_tol
    fixed = ((trace["repaired_objective_gap"].abs() <= gap_tol)
             & (trace["repaired_infeasibility"] <= feas_tol))
    # signed: an infeasible iterate's gap may be negative, and then it certifies nothing
    certified = trace["certificate_gap"].abs() <= gap_tol
    lead = (f"First test at which the iterate's ‖W‖₁ is within {gap_tol:g} of the optimum: "
            f"{first(close)}; and feasible to {feas_tol:g}: {first(close & feasible)}; after "
            f"the bias repair: {first(fixed)}. The certificate's gap under {gap_tol:g}: "
            f"{first(certified)}; the run stopped at {int(trace['iteration'].iloc[-1])} "
            f"({trace['status'].iloc[-1]}).\n\n")

    def num(x) -> str:
        return "–" if np.isnan(x) else f"{x:.2e}"

    header = ["iteration", "‖W‖₁/‖W*‖₁ − 1", "infeasibility", "repaired: ‖W‖₁/‖W*‖₁ − 1",
              "repaired: infeasibility", "certificate gap", "certificate infeasibility"]
    rows = [[str(r.iteration), num(r.objective_gap), num(r.infeasibility),
             num(r.repaired_objective_gap), num(r.repaired_infeasibility),
             num(r.certificate_gap), num(r.certificate_infeasibility)]
            for r in trace.itertuples()]
    return lead + markdown_table(header, rows)
