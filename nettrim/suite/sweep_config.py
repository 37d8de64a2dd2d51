"""The sweeps a config describes: its values checked once, before the first trial and before
anything is written (each error names its config key), then handed to
:func:`nettrim.suite.sweep.run_sweep` — the phase-transition and solver-agreement grid
(:func:`sweep_from_config`) and the deep planted-recovery sweep (:func:`deep_sweep_from_config`).
"""

from __future__ import annotations

import json
from typing import Callable

import numpy as np
import pandas as pd

from .._validation import check_bool, check_int, check_scalar
from ..schemes import GAMMA
from ..solvers.base import solver_list
from .parallel import backend
from .runs import RUNTIME_KEYS
from .sweep import expand_grid, int_list, run_sweep
from .trial import SUCCESS_TOL, check_noise


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
    ``cfg["reference"]`` (if given) moved first; an entry set to null is left out (e.g.
    ``solvers.lp=null`` for a noisy sweep, which the ε = 0 LP cannot solve)."""
    if "solvers" in cfg:
        solvers = [(s["name"], dict(s.get("options") or {}))
                   for s in cfg["solvers"].values() if s is not None]
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


def check_solver_config(cfg: dict) -> list:
    """The configured solvers (:func:`solvers_from_config`) as solver values
    (:func:`nettrim.solvers.as_solver`): each name, option name and option value checked once,
    here; errors name the config key."""
    from ..solvers import as_solver

    solvers = []
    for name, options in solvers_from_config(cfg):
        where = "solver" if "solver" in cfg else f"solvers.{name}"
        try:
            solvers.append(as_solver(name, options))
        except (TypeError, ValueError) as exc:
            field = "name" if str(exc).startswith("unknown solver") else "options"
            raise type(exc)(f"{where}.{field}: {exc}") from None
    return solvers


#: Trials per chunk when the config does not say: a grid sweep's trials are one layer each, a
#: deep sweep's a whole network per scheme, so its chunks are smaller.
CHUNK_SIZE, DEEP_CHUNK_SIZE = 25, 10


def _check_common(cfg: dict, required, chunk_size: int) -> tuple[str, Callable, list]:
    """Validate what every sweep config shares, before anything runs or is written: the keys
    it needs, the sampler, the solvers (names, options and their values, asked of the solver
    registry), trials, seed, n_jobs, chunk_size (default ``chunk_size``), progress,
    allow_large. Every error names its config key."""
    from .sampling import sampler_from_config

    for key in required:
        if key not in cfg:
            raise ValueError(f"the config has no {key!r} entry")
    label, sampler = sampler_from_config(cfg["sampling"])
    solvers = check_solver_config(cfg)
    check_int(cfg["trials"], "trials", low=1)
    check_int(cfg["seed"], "seed", low=0)
    n_jobs = check_int(cfg.get("n_jobs", 1), "n_jobs")
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of workers or -1 (all cores); got 0")
    check_int(cfg.get("chunk_size", chunk_size), "chunk_size", low=1)
    check_bool(cfg.get("progress", True), "progress")
    check_bool(cfg.get("allow_large", False), "allow_large")
    check_scalar(cfg.get("success_tol", SUCCESS_TOL), "success_tol", low=0.0, low_inclusive=False,
                 high=1.0, high_inclusive=False)
    return label, sampler, solvers


def sweep_from_config(cfg: dict, out_dir=None, solvers=None) -> pd.DataFrame:
    """Run the sweep a config describes (the keys of ``conf/phase_transition.yaml``:
    sampling, solver, grid, trials, seed, n_jobs, chunk_size, progress, planted, success_tol,
    allow_large).

    Every value is validated before the first trial and before anything is written; an error
    names its key. ``solvers`` (solver values, or (name, options) pairs) overrides
    :func:`check_solver_config`. Every value except the grid axes becomes a column of the table.
    """
    from .planted import check_values_law

    label, sampler, configured = _check_common(cfg, ("sampling", "grid", "trials", "seed"),
                                              CHUNK_SIZE)
    solvers = configured if solvers is None else solver_list(solvers)
    grid = dict(cfg["grid"])
    unknown = set(grid) - {"N", "s", "P", "P_mode", "q", "s_mode"}
    if unknown:
        raise ValueError(f"grid has unknown key(s) {sorted(unknown)}; it takes N, s, P, P_mode, "
                         f"q, s_mode")
    cells = expand_grid(grid.get("N"), grid.get("s"), grid.get("P"),
                        P_mode=grid.get("P_mode", "explicit"), q=grid.get("q", 0.5),
                        s_mode=grid.get("s_mode", "count"))
    planted = dict(cfg.get("planted") or {})
    unknown = set(planted) - {"values", "bias", "bias_value"}
    if unknown:
        raise ValueError(f"planted has unknown key(s) {sorted(unknown)}; it takes values, bias "
                         "and (optional) bias_value")
    try:
        values = check_values_law(planted.get("values", "gaussian"))
    except ValueError as exc:
        raise ValueError(f"planted.{exc}") from None
    bias = check_bool(planted.get("bias", False), "planted.bias")
    bias_value = planted.get("bias_value")
    if bias_value is not None:
        bias_value = check_scalar(bias_value, "planted.bias_value")
        if not bias:
            raise ValueError("planted.bias_value fixes the planted bias, so it needs "
                             "planted.bias = true")
    noise = check_noise(cfg.get("noise"))
    if noise is not None:
        zero = [solver.name for solver in solvers if solver.epsilon == "zero"]
        if zero:
            raise ValueError(f"noise: the solver(s) {zero} handle only ε = 0 and a noisy "
                             "trial has ε > 0; use admm or cvxpy (in solver_agreement: "
                             f"solvers.{zero[0]}=null)")
    columns = _constant_columns(cfg, label, solvers, exclude=("grid",))
    with backend(cfg.get("parallel"), cfg.get("n_jobs", 1)) as n_jobs:
        return run_sweep(cells, trials=cfg["trials"], base_seed=cfg["seed"], sampler=sampler,
                         solvers=solvers, n_jobs=n_jobs, out_dir=out_dir,
                         chunk_size=cfg.get("chunk_size", CHUNK_SIZE), columns=columns,
                         progress=cfg.get("progress", True),
                         allow_large=cfg.get("allow_large", False), values=values, bias=bias,
                         # only when set: an unchanged config keeps its resume identity
                         **({} if bias_value is None else {"bias_value": bias_value}),
                         **({} if noise is None else {"noise": noise}),
                         success_tol=cfg.get("success_tol", SUCCESS_TOL))


def _constant_columns(cfg, label, solvers, exclude=()) -> dict:
    """The config values that are not grid axes, as constant table columns."""
    skip = {"solver", "solvers", "sampling", "seed", *RUNTIME_KEYS, *exclude}
    columns = {"sampling": label,
               **flatten({k: v for k, v in cfg["sampling"].items() if k != "name"}, "sampling."),
               **flatten({k: v for k, v in cfg.items() if k not in skip})}
    if len(solvers) == 1:
        columns["solver.options"] = json.dumps(solvers[0].options, sort_keys=True)
    return columns


def deep_sweep_from_config(cfg: dict, out_dir=None) -> pd.DataFrame:
    """Run the deep planted-recovery sweep a config describes (``conf/deep_recovery.yaml``:
    sampling, solver, network.sizes, network.s, P, trials, seed, schemes, gamma, ...).

    One row per (P, trial, solver, scheme, layer); see :func:`nettrim.suite.trial.run_deep_trial`.
    """
    from ..schemes import SCHEMES
    from .planted import check_values_law
    from .trial import DEEP_SCHEMES, run_deep_trial

    label, sampler, solvers = _check_common(cfg, ("sampling", "network", "P", "trials", "seed"),
                                            DEEP_CHUNK_SIZE)
    network = dict(cfg["network"])
    try:
        check_values_law(network.get("values", "gaussian"))
    except ValueError as exc:
        raise ValueError(f"network.{exc}") from None
    schemes = list(cfg.get("schemes", DEEP_SCHEMES))
    if not schemes or set(schemes) - set(SCHEMES):
        raise ValueError(f"schemes must list some of {list(SCHEMES)}; got {schemes}")
    check_scalar(cfg.get("gamma", GAMMA), "gamma", low=1.0)
    sizes = int_list(network.get("sizes"), "network.sizes")
    if len(sizes) < 2:
        raise ValueError(f"network.sizes must list n0 and at least one layer; got {sizes}")
    s = check_int(network.get("s"), "network.s", low=1)
    if s > min(sizes[:-1]):
        raise ValueError(f"network.s = {s} exceeds a layer's input dimension {sizes[:-1]}")
    P = sorted(set(int_list(cfg["P"], "P")))
    cells = pd.DataFrame({"N": sizes[0], "s": s, "P": P})
    columns = _constant_columns(cfg, label, solvers, exclude=("P", "design"))
    with backend(cfg.get("parallel"), cfg.get("n_jobs", 1)) as n_jobs:
        return run_sweep(cells, trials=cfg["trials"], base_seed=cfg["seed"], sampler=sampler,
                         solvers=solvers, n_jobs=n_jobs, out_dir=out_dir,
                         chunk_size=cfg.get("chunk_size", DEEP_CHUNK_SIZE), columns=columns,
                         progress=cfg.get("progress", True),
                         allow_large=cfg.get("allow_large", False), trial_fn=run_deep_trial,
                         sizes=sizes, schemes=schemes,
                         values=network.get("values", "gaussian"), gamma=cfg.get("gamma", GAMMA),
                         success_tol=cfg.get("success_tol", SUCCESS_TOL))


__all__ = ["flatten", "solvers_from_config", "check_solver_config", "sweep_from_config",
           "deep_sweep_from_config"]
