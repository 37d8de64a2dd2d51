"""Sweeps: a grid of (N, s, P) cells × trials, run in parallel, written as a tidy table.

Every trial draws from its own SeedSequence keyed on (base seed, N, s, P, trial)
(:func:`nettrim.trial.trial_seed`), so the table does not depend on n_jobs, on chunking or on
the order in which workers finish. Trials run in chunks; each finished chunk is written to
``out_dir/parts/`` atomically (write, then rename), so a killed sweep loses at most the chunks in
flight and a restart with the same spec skips what is done.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from ._validation import check_int
from .parallel import backend
from .theory import predicted_p50, s_log_n_over_s
from .trial import run_trial

P_MODES = ("explicit", "slog", "p50")
KEYS = ["N", "s", "P", "trial"]


def _as_int_list(values, name):
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
        the predicted 50% point δ(s, N)/q (``"p50"``); rounded to integers ≥ 1, duplicates
        removed.
    q : float, default 0.5
        Active fraction assumed by ``P_mode="p50"``.
    """
    Ns = _as_int_list(N, "N")
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
            if P_mode == "explicit":
                ref = 1.0
            elif P_mode == "slog":
                ref = float(s_log_n_over_s(k, n)) or 1.0  # s = N: log 1 = 0
            else:
                ref = predicted_p50(k, n, q)
            for p in sorted({max(1, int(round(m * ref))) for m in P_values}):
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


def _spec_hash(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _run_chunk(tasks, trial_fn, trial_kwargs):
    rows = []
    # one BLAS thread per worker: the workers are the parallelism
    with threadpool_limits(limits=1, user_api="blas"):
        for N, s, P, t in tasks:
            for row in trial_fn(N=N, s=s, P=P, trial=t, **trial_kwargs):
                rows.append({"N": N, "s": s, "P": P, "trial": t, **row})
    return rows


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes whether a chunk was just computed or read back from its CSV file."""
    df = df.copy()
    for col in ("success", "support_recovered", "layer_recovered", "bound_held", "feasible"):
        if col in df:
            df[col] = df[col].astype("boolean")
    if "message" in df:
        df["message"] = df["message"].astype(object).fillna("").astype(str)
    for col in df.columns:
        if col in ("iterations", "time", "rel_error", "active_fraction", "epsilon") or \
                col.startswith("diff_vs_"):
            df[col] = df[col].astype(float)
    return df


def _write_atomic(df: pd.DataFrame, path: Path):
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


def run_sweep(cells: pd.DataFrame, *, trials: int, base_seed: int, sampler: Callable,
              solvers: Sequence[tuple[str, dict]] = (("lp", {}),), n_jobs: int = 1,
              out_dir: str | os.PathLike | None = None, chunk_size: int = 25,
              columns: dict | None = None, progress: bool = True, backend: str | None = None,
              trial_fn: Callable = run_trial, **trial_kwargs) -> pd.DataFrame:
    """Run ``trials`` trials in every cell and return the tidy table (one row per trial and
    solver), sorted by N, s, P, trial.

    Parameters
    ----------
    cells : DataFrame with columns N, s, P
        From :func:`expand_grid`.
    trials : int
        Trials per cell.
    base_seed : int
        Base of every trial's SeedSequence.
    sampler : callable
        ``sampler(rng, N, P) -> X``; must be picklable for ``n_jobs > 1`` (module-level
        functions and ``functools.partial`` of them are).
    solvers : sequence of (name, options)
    n_jobs : int, default 1
        joblib workers (-1: all cores).
    out_dir : path, optional
        Where finished chunks go (``parts/``) and the final ``trials.csv``. A restart with the
        same spec resumes; a different spec in the same directory is refused.
    chunk_size : int
        Trials per task (and per file written).
    columns : dict, optional
        Constant columns added to every row (the config values that are not grid axes).
    backend : str, optional
        joblib backend (default: loky).
    trial_fn : callable, default :func:`nettrim.trial.run_trial`
        ``trial_fn(N=, s=, P=, trial=, base_seed=, sampler=, solvers=, **trial_kwargs)``
        returning a list of row dicts; module-level, so that workers can import it.
    **trial_kwargs
        Passed to ``trial_fn`` (``values``, ``bias``, ``success_tol``...).
    """
    trials = check_int(trials, "trials", low=1)
    chunk_size = check_int(chunk_size, "chunk_size", low=1)
    missing = {"N", "s", "P"} - set(cells.columns)
    if missing or cells.empty:
        raise ValueError(f"cells must be a non-empty table with columns N, s, P; missing "
                         f"{sorted(missing)}" if missing else "cells is empty: nothing to run")
    tasks = [(int(r.N), int(r.s), int(r.P), t) for r in cells.itertuples() for t in range(trials)]
    chunks = [tasks[i:i + chunk_size] for i in range(0, len(tasks), chunk_size)]
    trial_kwargs = dict(trial_kwargs, base_seed=int(base_seed), sampler=sampler,
                        solvers=[(str(n), dict(o)) for n, o in solvers])

    spec = None
    if out_dir is not None:
        out_dir = Path(out_dir)
        spec = {"tasks": tasks, "chunk_size": chunk_size, "columns": columns,
                "trial_fn": describe_callable(trial_fn),
                **{k: v for k, v in trial_kwargs.items() if k != "sampler"},
                "sampler": describe_callable(sampler)}
    work = functools.partial(_run_chunk, trial_fn=trial_fn, trial_kwargs=trial_kwargs)
    results = run_resumable(chunks, work, out_dir=out_dir, spec=spec, n_jobs=n_jobs,
                            backend=backend, progress=progress, unit="trial")
    table = pd.concat(results, ignore_index=True)
    if columns:
        for k, v in columns.items():
            table[k] = v if np.isscalar(v) or v is None else str(v)
    table["base_seed"] = int(base_seed)
    table = table.sort_values(KEYS, kind="stable").reset_index(drop=True)
    if out_dir is not None:
        _write_atomic(table, out_dir / "trials.csv")
    return table


def run_resumable(chunks: Sequence, work: Callable, *, out_dir=None, spec: dict | None = None,
                  n_jobs: int = 1, backend: str | None = None, progress: bool = True,
                  unit: str = "task") -> list[pd.DataFrame]:
    """Run ``work(chunk)`` (a list of row dicts) for every chunk, in parallel, keeping
    finished work on disk.

    With ``out_dir``, each finished chunk's rows go to ``out_dir/parts/chunk_<i>.csv``
    atomically (write, then rename) as soon as that chunk ends, so a killed run loses only the
    chunks in flight; a restart with the same ``spec`` (a JSON-able description of everything
    that determines the rows) reads them back instead of recomputing, and a different spec in
    the same directory is refused rather than mixed in.

    Parameters
    ----------
    chunks : sequence
        Units of work; ``work`` must be picklable (module-level function or partial) for
        ``n_jobs > 1``. Progress counts ``len(chunk)`` items per chunk.
    work : callable
    out_dir : path, optional
    spec : dict, optional
        Required with ``out_dir``.
    n_jobs, backend : joblib workers (-1: all cores) and backend (default: loky).
    progress : bool
        tqdm bar.

    Returns
    -------
    list of DataFrame
        One per chunk, in chunk order, with the same dtypes whether computed or read back.
    """
    parts, done = None, {}
    if out_dir is not None:
        if spec is None:
            raise ValueError("spec is required with out_dir (it guards resumed runs)")
        out_dir = Path(out_dir)
        parts = out_dir / "parts"
        parts.mkdir(parents=True, exist_ok=True)
        h = _spec_hash(spec)
        stamp = out_dir / "sweep_spec.json"
        if stamp.exists() and json.loads(stamp.read_text())["hash"] != h:
            raise ValueError(f"{out_dir} holds a run with a different configuration; choose "
                             f"another output directory or delete it to start over")
        stamp.write_text(json.dumps({"hash": h, "n_chunks": len(chunks)}))
        for f in parts.glob("chunk_*.csv"):
            i = int(f.stem.split("_")[1])
            if i < len(chunks):
                done[i] = f

    todo = [i for i in range(len(chunks)) if i not in done]
    bar = tqdm(total=sum(len(c) for c in chunks), disable=not progress, unit=unit,
               initial=sum(len(chunks[i]) for i in done))
    results = {i: _normalise(pd.read_csv(f, keep_default_na=True)) for i, f in done.items()}
    runner = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator_unordered")
    for i, rows in runner(delayed(_with_id)(i, work, chunks[i]) for i in todo):
        df = _normalise(pd.DataFrame(rows))
        if parts is not None:
            _write_atomic(df, parts / f"chunk_{i:06d}.csv")
        results[i] = df
        bar.update(len(chunks[i]))
    bar.close()
    return [results[i] for i in range(len(chunks))]


def _with_id(i, work, chunk):
    return i, work(chunk)


def flatten(mapping: dict, prefix: str = "") -> dict:
    """{"a": {"b": 1}} → {"a.b": 1}; lists become their text, so every value fits a cell."""
    out = {}
    for k, v in mapping.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v if v is None or np.isscalar(v) else json.dumps(v)
    return out


def solvers_from_config(cfg: dict) -> list[tuple[str, dict]]:
    """[(name, options)] from ``cfg["solver"]``, or from the mapping ``cfg["solvers"]`` with
    ``cfg["reference"]`` (if given) moved first."""
    if "solvers" in cfg:
        solvers = [(s["name"], dict(s.get("options") or {})) for s in cfg["solvers"].values()]
    elif "solver" in cfg:
        solvers = [(cfg["solver"]["name"], dict(cfg["solver"].get("options") or {}))]
    else:
        raise ValueError("the config has neither a 'solver' nor a 'solvers' entry")
    ref = cfg.get("reference")
    if ref is not None:
        names = [n for n, _ in solvers]
        if ref not in names:
            raise ValueError(f"reference {ref!r} is not among the solvers {names}")
        solvers.sort(key=lambda s: s[0] != ref)
    return solvers


def start_run(cfg, out_dir) -> tuple[Path, dict]:
    """Create ``out_dir`` and return it with the resolved config as a plain dict.

    The config itself is written by :func:`finish_run`, once the results are: a run that
    fails on bad input must not leave a config.yaml that disagrees with the results beside it.
    """
    from omegaconf import OmegaConf

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir, OmegaConf.to_container(cfg, resolve=True)


def finish_run(cfg, out_dir) -> None:
    """Save the config that produced the results in ``out_dir`` there as config.yaml."""
    from omegaconf import OmegaConf

    OmegaConf.save(cfg, Path(out_dir) / "config.yaml")
    print(f"\nwritten to {out_dir}")


def sweep_from_config(cfg: dict, out_dir=None, solvers=None) -> pd.DataFrame:
    """Run the sweep a config describes (the keys of ``conf/phase_transition.yaml``:
    sampling, solver, grid, trials, seed, n_jobs, chunk_size, progress, planted, success_tol).

    ``solvers`` (a list of (name, options)) overrides :func:`solvers_from_config`. Every value
    except the grid axes becomes a column of the table.
    """
    from .sampling import sampler_from_config

    for key in ("sampling", "grid", "trials", "seed"):
        if key not in cfg:
            raise ValueError(f"the config has no {key!r} entry")
    label, sampler = sampler_from_config(cfg["sampling"])
    if solvers is None:
        solvers = solvers_from_config(cfg)
    grid = dict(cfg["grid"])
    cells = expand_grid(grid.get("N"), grid.get("s"), grid.get("P"),
                        P_mode=grid.get("P_mode", "explicit"), q=grid.get("q", 0.5),
                        s_mode=grid.get("s_mode", "count"))
    planted = dict(cfg.get("planted") or {})
    columns = _constant_columns(cfg, label, solvers, exclude=("grid",))
    with backend(cfg.get("parallel"), cfg.get("n_jobs", 1)) as n_jobs:
        return run_sweep(cells, trials=cfg["trials"], base_seed=cfg["seed"], sampler=sampler,
                         solvers=solvers, n_jobs=n_jobs, out_dir=out_dir,
                         chunk_size=cfg.get("chunk_size", 25), columns=columns,
                         progress=cfg.get("progress", True), values=planted.get("values", "gaussian"),
                         bias=bool(planted.get("bias", False)),
                         success_tol=cfg.get("success_tol", 1e-3))


def _constant_columns(cfg, label, solvers, exclude=()) -> dict:
    """The config values that are not grid axes, as constant table columns."""
    skip = {"solver", "solvers", "sampling", "n_jobs", "parallel", "progress", "chunk_size",
            "figures", "seed", *exclude}
    columns = {"sampling": label,
               **flatten({k: v for k, v in cfg["sampling"].items() if k != "name"}, "sampling."),
               **flatten({k: v for k, v in cfg.items() if k not in skip})}
    if len(solvers) == 1:
        columns["solver.options"] = json.dumps(solvers[0][1], sort_keys=True)
    return columns


def deep_sweep_from_config(cfg: dict, out_dir=None) -> pd.DataFrame:
    """Run the deep planted-recovery sweep a config describes (``conf/deep_recovery.yaml``:
    sampling, solver, network.sizes, network.s, P, trials, seed, schemes, gamma, ...).

    One row per (P, trial, solver, scheme, layer); see :func:`nettrim.trial.run_deep_trial`.
    """
    from .sampling import sampler_from_config
    from .trial import run_deep_trial

    for key in ("sampling", "network", "P", "trials", "seed"):
        if key not in cfg:
            raise ValueError(f"the config has no {key!r} entry")
    label, sampler = sampler_from_config(cfg["sampling"])
    solvers = solvers_from_config(cfg)
    network = dict(cfg["network"])
    sizes = _as_int_list(network.get("sizes"), "network.sizes")
    if len(sizes) < 2:
        raise ValueError(f"network.sizes must list n0 and at least one layer; got {sizes}")
    s = check_int(network.get("s"), "network.s", low=1)
    if s > min(sizes[:-1]):
        raise ValueError(f"network.s = {s} exceeds a layer's input dimension {sizes[:-1]}")
    P = sorted(set(_as_int_list(cfg["P"], "P")))
    cells = pd.DataFrame({"N": sizes[0], "s": s, "P": P})
    columns = _constant_columns(cfg, label, solvers, exclude=("P",))
    with backend(cfg.get("parallel"), cfg.get("n_jobs", 1)) as n_jobs:
        return run_sweep(cells, trials=cfg["trials"], base_seed=cfg["seed"], sampler=sampler,
                         solvers=solvers, n_jobs=n_jobs, out_dir=out_dir,
                         chunk_size=cfg.get("chunk_size", 10), columns=columns,
                         progress=cfg.get("progress", True), trial_fn=run_deep_trial, sizes=sizes,
                         schemes=list(cfg.get("schemes", ["parallel", "cascade"])),
                         values=network.get("values", "gaussian"), gamma=cfg.get("gamma", 1.1),
                         success_tol=cfg.get("success_tol", 1e-3))


__all__ = ["P_MODES", "expand_grid", "run_sweep", "run_resumable", "flatten",
           "solvers_from_config", "start_run", "finish_run", "sweep_from_config", "deep_sweep_from_config"]
