"""Sweeps: a grid of (N, s, P) cells × trials, run in parallel, written as a tidy table.

Every trial draws from its own SeedSequence keyed on (base seed, N, s, P, trial)
(:func:`nettrim.suite.trial.trial_seed`), so the table does not depend on n_jobs, on chunking or on
the order in which workers finish. Trials run in chunks; each finished chunk is written to
``out_dir/parts/`` atomically (write, then rename), so a killed sweep loses at most the chunks in
flight and a restart with the same spec skips what is done (the engine:
:mod:`nettrim.suite.resumable`; a run folder's lifecycle: :mod:`nettrim.suite.runs`). Here: the
grid, its size checks and pilot, and the sweeps a config describes.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._validation import check_bool, check_int
from ..solvers.base import solver_list
from .parts import (
    PartDamaged,
    format_duration,
    spec_hash,
)
from .resumable import run_resumable
from .theory import predicted_p50, s_log_n_over_s
from .trial import run_trial

P_MODES = ("explicit", "slog", "p50", "kinematic")
KEYS = ["N", "s", "P", "trial"]
log = logging.getLogger("nettrim.suite.sweep")


def int_list(values, name: str) -> list[int]:
    """``values`` (one value or a list) as a non-empty list of positive ints, errors naming
    ``name``."""
    if np.isscalar(values):
        values = [values]
    out = [check_int(v, name, low=1) for v in values]
    if not out:
        raise ValueError(f"{name} must list at least one value")
    return out


def expand_grid(N, s, P, *, P_mode: str = "explicit", q: float = 0.5,
                s_mode: str = "count") -> pd.DataFrame:
    """The (N, s, P) cells of a sweep, one row each.

    Parameters
    ----------
    N : int or list of int
        Input dimensions.
    s : int, float or list
        Sparsities: counts (``s_mode="count"``) or fractions of N (``s_mode="fraction"``,
        rounded to the nearest count ≥ 1). Values above N are dropped for that N.
    P : list of number
        Sample counts (``P_mode="explicit"``), or multipliers of s·log(N/s) (``"slog"``) or of
        the predicted 50% point δ(s, N)/q (``"p50"``), or success levels in (0, 1) of the
        kinematic-formula curve (``"kinematic"``: the smallest P where the predicted success
        reaches each, :func:`nettrim.suite.kinematic.curve_quantiles` — a grid spanning the
        transition at every N, however sharp); rounded to integers ≥ 1, duplicates removed.
    q : float, default 0.5
        Active fraction assumed by ``P_mode="p50"`` and ``"kinematic"``.
    """
    Ns = int_list(N, "N")
    if P_mode not in P_MODES:
        raise ValueError(f"P_mode must be one of {P_MODES}; got {P_mode!r}")
    if s_mode not in ("count", "fraction"):
        raise ValueError(f"s_mode must be 'count' or 'fraction'; got {s_mode!r}")
    s_values = [s] if np.isscalar(s) else list(s)
    P_values = [P] if np.isscalar(P) else list(P)
    if not s_values or not P_values:
        raise ValueError("the grid is empty: s and P must each list at least one value")
    if any(not np.isfinite(p) or p <= 0 for p in P_values):
        raise ValueError(f"P values must be positive; got {P_values}")
    cells = []
    for n in Ns:
        if s_mode == "fraction":
            counts = sorted({max(1, int(round(f * n))) for f in s_values})
        else:
            counts = sorted({check_int(k, "s", low=1) for k in s_values})
        for k in (k for k in counts if k <= n):
            if P_mode == "kinematic":
                from .kinematic import curve_quantiles

                counts_P = curve_quantiles(k, n, q, P_values)
            else:
                if P_mode == "explicit":
                    ref = 1.0
                elif P_mode == "slog":
                    ref = float(s_log_n_over_s(k, n)) or 1.0  # s = N: log 1 = 0
                else:
                    ref = predicted_p50(k, n, q)
                counts_P = [m * ref for m in P_values]
            for p in sorted({max(1, int(round(m))) for m in counts_P}):
                cells.append((n, k, p))
    if not cells:
        raise ValueError(f"the grid is empty: no s in {s_values} fits N in {Ns}")
    return pd.DataFrame(cells, columns=["N", "s", "P"])


def describe_callable(fn) -> str:
    """A stable text for a sampler: ``module.name(kw=value, ...)`` (partials unwrapped)."""
    args, kwargs = (), {}
    while isinstance(fn, functools.partial):
        args, kwargs = fn.args + args, {**fn.keywords, **kwargs}
        fn = fn.func
    name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    inner = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in sorted(kwargs.items())]
    return f"{name}({', '.join(inner)})"


def _run_chunk(tasks, trial_fn, trial_kwargs):
    rows = []
    # one BLAS thread per worker: the workers are the parallelism
    with threadpool_limits(limits=1, user_api="blas"):
        for N, s, P, t in tasks:
            for row in trial_fn(N=N, s=s, P=P, trial=t, **trial_kwargs):
                rows.append({"N": N, "s": s, "P": P, "trial": t, **row})
    return rows


def _write_atomic(df: pd.DataFrame, path: Path):
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


class TaskChunks(Sequence):
    """The tasks (N, s, P, trial) of a grid × trials, cut into chunks on demand, so that a
    sweep of any size costs memory for its cells only."""

    def __init__(self, cells: Sequence[tuple[int, int, int]], trials: int, chunk_size: int):
        self.cells, self.trials, self.chunk_size = [tuple(c) for c in cells], trials, chunk_size
        self.n_items = len(self.cells) * trials

    def __len__(self) -> int:
        return -(-self.n_items // self.chunk_size)

    def __getitem__(self, i: int) -> list[tuple[int, int, int, int]]:
        if not 0 <= i < len(self):
            raise IndexError(i)
        stop = min((i + 1) * self.chunk_size, self.n_items)
        return [(*self.cells[j // self.trials], j % self.trials)
                for j in range(i * self.chunk_size, stop)]


#: A sweep above this many solves (trials × solvers) is refused unless ``allow_large``.
MAX_SOLVES = 1_000_000
#: ...and one whose pilot-based time estimate exceeds this many core-hours.
MAX_CORE_HOURS = 48.0
#: Bytes per N·P entry a trial may hold at once (X, the solver's copies of it, its residuals).
_BYTES_PER_ENTRY = 8 * 8


def _memory_bytes() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def _workers(n_jobs) -> int:
    """How many trials run at once for joblib's ``n_jobs`` (-1 and other negatives: cores)."""
    return max(int(n_jobs), 1) if n_jobs and n_jobs > 0 else os.cpu_count() or 1


def _largest_cell(cells: pd.DataFrame) -> pd.Series:
    """The cell with the most N·P entries: the costliest trial in time and memory."""
    return cells.loc[(cells["N"] * cells["P"]).idxmax()]


def _check_size(cells: pd.DataFrame, n_solves: int, n_jobs: int, allow_large: bool) -> None:
    """Refuse, before anything runs, a sweep that would not fit in memory, or (unless
    ``allow_large``) one with more than :data:`MAX_SOLVES` solves."""
    if n_solves > MAX_SOLVES and not allow_large:
        raise ValueError(f"this sweep has {n_solves:.3g} solves (trials × cells × solvers), "
                         f"above the limit of {MAX_SOLVES:.0e}; reduce trials or the grid, or "
                         f"pass allow_large=true to run it anyway")
    big = _largest_cell(cells)
    need = float(big.N * big.P) * _BYTES_PER_ENTRY
    workers = _workers(n_jobs)
    have = _memory_bytes()
    if need * workers > have:
        raise ValueError(f"the largest cell (N = {big.N}, P = {big.P}) needs about "
                         f"{need / 2**30:.1f} GiB per trial, {workers} at a time, and this "
                         f"machine has {have / 2**30:.1f} GiB; shrink grid.N / grid.P or n_jobs")


def _pilot(cells: pd.DataFrame, work: Callable, n_trials: int, n_jobs: int,
           allow_large: bool) -> None:
    """Run one trial of the largest cell before anything is written: a configuration that
    makes trials fail stops here (not after a sweep of error rows), and its time gives the
    estimate printed at the start."""
    big = _largest_cell(cells)
    task = (int(big.N), int(big.s), int(big.P), 0)
    where = f"the pilot trial (N = {task[0]}, s = {task[1]}, P = {task[2]})"
    t0 = time.perf_counter()
    try:
        rows = work([task])
    except (ValueError, TypeError) as exc:  # a trial's own validation, or a sampler's output
        raise type(exc)(f"{where} failed before the sweep started, nothing was written: "
                        f"{exc}") from None
    elapsed = time.perf_counter() - t0
    errors = [r for r in rows if r.get("status") == "error"]
    if errors:
        raise ValueError(f"{where} failed before the sweep started, nothing was written: "
                         f"{errors[0].get('message') or 'status=error'}")
    # timed again: the first call pays one-time costs (imports, the solver's set-up), which
    # made the estimate up to 15× too long on sweeps of small cells
    t0 = time.perf_counter()
    work([(*task[:3], 1)])
    elapsed = min(elapsed, time.perf_counter() - t0)
    # the pilot ran one trial of the largest cell, every solver; a trial's time taken as
    # proportional to N·P scales it to the others (solves grow at least that fast, so this
    # still errs high, but not by the 15–40× of pricing every cell as the largest)
    share = float((cells["N"] * cells["P"]).mean()) / (task[0] * task[2])
    core_hours = elapsed * n_trials * share / 3600
    workers = _workers(n_jobs)
    log.info("estimate: %.2g s for one trial of the largest cell (N = %d, P = %d), so about "
             "~%s on %d workers (a trial's time taken as proportional to N·P)", elapsed,
             task[0], task[2], format_duration(core_hours * 3600 / workers), workers)
    if core_hours > MAX_CORE_HOURS and not allow_large:
        raise ValueError(f"this sweep is estimated at about {core_hours:.2g} core-hours (limit "
                         f"{MAX_CORE_HOURS:g}); reduce trials or the grid, or pass "
                         f"allow_large=true to run it anyway")


def run_sweep(cells: pd.DataFrame, *, trials: int, base_seed: int, sampler: Callable,
              solvers: Sequence = ("lp",), n_jobs: int = 1,
              out_dir: str | os.PathLike | None = None, chunk_size: int = 25,
              columns: dict | None = None, progress: bool = True, backend: str | None = None,
              allow_large: bool = False, pilot: bool = True,
              trial_fn: Callable = run_trial, **trial_kwargs) -> pd.DataFrame:
    """Run ``trials`` trials in every cell and return the tidy table (one row per trial and
    solver), sorted by N, s, P, trial.

    Before anything is written, the size is checked (memory per trial; more than
    :data:`MAX_SOLVES` solves or :data:`MAX_CORE_HOURS` core-hours needs ``allow_large``) and
    a pilot trial of the largest cell is run: if it fails, the sweep is refused; its time gives
    the estimate logged at the start (logger ``nettrim.suite.sweep``).

    Parameters
    ----------
    cells : DataFrame with columns N, s, P
        From :func:`expand_grid`.
    trials : int
        Trials per cell.
    base_seed : int
        Base (>= 0) of every trial's SeedSequence.
    sampler : callable
        ``sampler(rng, N, P) -> X``; must be picklable for ``n_jobs > 1`` (module-level
        functions and ``functools.partial`` of them are).
    solvers : sequence of Solver (or names, or (name, options) pairs)
        :func:`nettrim.solvers.solver_list`; a run's identity holds each one's
        :meth:`~nettrim.solvers.Solver.spec` (name and every parameter).
    n_jobs : int, default 1
        joblib workers (-1: all cores).
    out_dir : path, optional
        Where finished chunks go (``parts/``, see :mod:`nettrim.suite.parts`) and the final
        ``trials.csv``. A restart with the same spec resumes; a folder holding parts of a
        different spec is refused.
    chunk_size : int
        Trials per task (and per file written).
    columns : dict, optional
        Constant columns added to every row (the config values that are not grid axes).
    progress : bool
        A bar on a terminal, periodic lines in a log.
    backend : str, optional
        joblib backend (default: loky).
    allow_large : bool, default False
        Run a sweep above the size limits.
    pilot : bool, default True
        Run the pilot trial (estimate and early failure).
    trial_fn : callable, default :func:`nettrim.suite.trial.run_trial`
        ``trial_fn(N=, s=, P=, trial=, base_seed=, sampler=, solvers=, **trial_kwargs)``
        returning a list of row dicts; module-level, so that workers can import it.
    **trial_kwargs
        Passed to ``trial_fn`` (``values``, ``bias``, ``success_tol``...).
    """
    trials = check_int(trials, "trials", low=1)
    chunk_size = check_int(chunk_size, "chunk_size", low=1)
    base_seed = check_int(base_seed, "seed", low=0)
    allow_large = check_bool(allow_large, "allow_large")
    if not isinstance(cells, pd.DataFrame):
        raise TypeError(f"cells must be a DataFrame (from expand_grid); got {type(cells).__name__}")
    missing = {"N", "s", "P"} - set(cells.columns)
    if missing or cells.empty:
        raise ValueError(f"cells must be a non-empty table with columns N, s, P; missing "
                         f"{sorted(missing)}" if missing else "cells is empty: nothing to run")
    if not callable(sampler):
        raise TypeError(f"sampler must be a callable sampler(rng, N, P); got "
                        f"{type(sampler).__name__}")
    cell_list = [(int(r.N), int(r.s), int(r.P)) for r in cells.itertuples()]
    solvers = solver_list(solvers)
    spec = None
    if out_dir is not None:
        out_dir = Path(out_dir)
        spec = {"cells": cell_list, "trials": trials, "columns": columns,
                "trial_fn": describe_callable(trial_fn),
                **{k: v for k, v in trial_kwargs.items() if k != "sampler"},
                "base_seed": base_seed, "solvers": [solver.spec() for solver in solvers],
                "sampler": describe_callable(sampler)}
        chunking = spec_hash(spec)
        chunk_size = _resumed_chunk_size(out_dir / "parts", chunking, chunk_size)
        spec["chunk_size"] = chunk_size
    chunks = TaskChunks(cell_list, trials, chunk_size)
    trial_kwargs = dict(trial_kwargs, base_seed=base_seed, sampler=sampler, solvers=solvers)
    n_solves = chunks.n_items * len(solvers)
    log.info("sweep: %d cells × %d trials = %d trials, %d solver(s), %d chunks of %d",
             len(cell_list), trials, chunks.n_items, len(solvers), len(chunks), chunk_size)
    _check_size(cells, n_solves, n_jobs, allow_large)
    work = functools.partial(_run_chunk, trial_fn=trial_fn, trial_kwargs=trial_kwargs)
    if pilot:
        _pilot(cells, work, chunks.n_items, n_jobs, allow_large)
    if out_dir is not None:
        _record_chunking(out_dir / "parts", chunking, chunk_size)

    check = functools.partial(_check_keys, solvers=[solver.name for solver in solvers])
    results = run_resumable(chunks, work, out_dir=out_dir, spec=spec, n_jobs=n_jobs,
                            backend=backend, progress=progress, unit="trial", check=check)
    table = pd.concat(results, ignore_index=True)
    if columns:
        for k, v in columns.items():
            table[k] = v if np.isscalar(v) or v is None else str(v)
    table["base_seed"] = base_seed
    table = table.sort_values(KEYS, kind="stable").reset_index(drop=True)
    if out_dir is not None:
        _write_atomic(table, out_dir / "trials.csv")
    return table


#: Beside a sweep's parts: the chunk size they were cut with, for the rest of the spec.
CHUNKING_FILE = "chunking.json"


def _resumed_chunk_size(parts: Path, spec: str, chunk_size: int) -> int:
    """The chunk size to run with: ``chunk_size``, unless ``parts`` already holds a run of
    this ``spec`` (hash of everything but the chunk size) cut in another size — then that
    one, so a resume reads every finished trial back whatever chunk_size it is given (a
    runtime key: it changes how the work is cut, never the rows). Reads only: the choice
    is recorded by :func:`_record_chunking` once the pilot has passed."""

    record = parts / CHUNKING_FILE
    try:
        old = json.loads(record.read_text()) if record.is_file() else None
    except (OSError, ValueError):
        old = None                          # unreadable: the parts' own spec checks decide
    if (isinstance(old, dict) and old.get("spec") == spec and isinstance(old.get("chunk_size"), int)
            and old["chunk_size"] != chunk_size and any(parts.glob("chunk_*.csv"))):
        log.info("resuming with chunk_size = %d, the size the finished parts were cut in "
                 "(chunk_size = %d applies to a fresh run)", old["chunk_size"], chunk_size)
        chunk_size = old["chunk_size"]
    return chunk_size


def _record_chunking(parts: Path, spec: str, chunk_size: int) -> None:
    """Write :data:`CHUNKING_FILE` (atomically) for :func:`_resumed_chunk_size`."""

    parts.mkdir(parents=True, exist_ok=True)
    tmp = parts / f".{CHUNKING_FILE}.tmp"
    tmp.write_text(json.dumps({"spec": spec, "chunk_size": chunk_size}))
    os.replace(tmp, parts / CHUNKING_FILE)


def _check_keys(chunk, df: pd.DataFrame, solvers) -> None:
    """A chunk's rows cover exactly its tasks, for every solver (defence in depth beside the
    part's checksum)."""
    want = sorted(chunk)
    for name in solvers:
        mine = df[df["solver"] == name] if "solver" in df else df
        got = sorted(map(tuple, mine[KEYS].drop_duplicates().to_numpy().tolist()))
        if got != want:
            raise PartDamaged(f"its rows for solver {name!r} do not cover its tasks exactly")


__all__ = ["P_MODES", "KEYS", "int_list", "expand_grid", "describe_callable", "run_sweep"]
