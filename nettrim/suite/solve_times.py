"""Layer-solve time and iterations of the committed studies, before and after a solver change.

Each study's own tables already record its solves (time, and iterations where the study
writes them); :func:`study_solves` picks them out, :func:`compare` sets two versions of the
results side by side — typically the committed results at an earlier git revision against
the working tree (``experiments/solve_times.py``). Iterations do not depend on the machine;
times do, so the table carries the two runs' benchmark floors when both are known.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

#: study folder (under results/) → (table, rows kept (a pandas query), time column, iterations
#: column or None). The rows kept are the ADMM's solves; the LP-only studies are left out.
#: CONTROLS: rows of the same table solved by a solver that did not change (the LP), whose
#: time ratio measures the machine's speed on the two days for that study's workload.
STUDIES = {
    "spirals/default": ("table_layers.csv", None, "time", "iterations"),
    "spirals/relaxed": ("table_layers.csv", None, "time", "iterations"),
    "prune_network/digits": ("results.csv", "method == 'nettrim'", "prune_time", None),
    "prune_network/lenet_digits": ("results.csv", "method == 'nettrim'", "prune_time", None),
    "prune_network/spirals": ("results.csv", "method == 'nettrim'", "prune_time", None),
    "deep_recovery/gaussian_default": ("trials.csv", "epsilon > 0", "time",
                                       "iterations"),
    "solver_agreement/gaussian_default": ("trials.csv", "solver == 'admm'", "time",
                                          "iterations"),
    "solver_agreement/gaussian_throughput": ("trials.csv", "solver == 'admm'", "time",
                                             "iterations"),
    "phase_transition/gaussian_admm_default": ("trials.csv", None, "time", "iterations"),
}


CONTROLS = {"deep_recovery/gaussian_default": "epsilon == 0",
            "solver_agreement/gaussian_default": "solver == 'lp'",
            "solver_agreement/gaussian_throughput": "solver == 'lp'"}


def _read(results: Path, rev: str | None, relpath: str) -> pd.DataFrame | None:
    """A results table from the working tree (rev None) or from git revision ``rev``; None
    when that version has no such file."""
    if rev is None:
        path = results / relpath
        return pd.read_csv(path) if path.is_file() else None
    root = subprocess.run(["git", "-C", str(results), "rev-parse", "--show-toplevel"],
                          capture_output=True, text=True, check=True).stdout.strip()
    inside = (results.resolve() / relpath).relative_to(Path(root).resolve())
    shown = subprocess.run(["git", "-C", root, "show", f"{rev}:{inside.as_posix()}"],
                           capture_output=True, text=True)
    return pd.read_csv(io.StringIO(shown.stdout)) if shown.returncode == 0 else None


def study_solves(results: Path, study: str, rev: str | None = None) -> dict | None:
    """Solves, total and median time, total iterations of one study, and the total time of
    its control solves (NaN without; :data:`CONTROLS`); None if the study is absent."""
    if study not in STUDIES:
        raise ValueError(f"study must be one of {sorted(STUDIES)}; got {study!r}")
    table, keep, time_col, its_col = STUDIES[study]
    df = _read(Path(results), rev, f"{study}/{table}")
    if df is None:
        return None
    control = (float(df.query(CONTROLS[study])[time_col].sum()) if study in CONTROLS
               else np.nan)
    if keep is not None:
        df = df.query(keep)
    times = df[time_col].to_numpy(float)
    return {"solves": len(df), "time": float(times.sum()), "median": float(np.median(times)),
            "iterations": (float(df[its_col].sum()) if its_col else np.nan),
            "control_time": control}


def floor(results: Path, rev: str | None = None) -> float:
    """The benchmark's product floor at 200·50·2000 (two N·M·P products, one thread) recorded
    with that version of the results: a measure of the machine's speed that day."""
    df = _read(Path(results), rev, "solver_benchmark/default/scaling.csv")
    if df is None:
        return np.nan
    row = df[(df["N"] == 200) & (df["M"] == 50) & (df["P"] == 2000)]
    return float(row["floor"].median()) if len(row) else np.nan


def compare(results: Path, before: str, after: str | None = None) -> pd.DataFrame:
    """One row per study present in both versions and rerun in between (its tables differ):
    solves, time and iterations before and
    after, and their ratios. ``time_ratio`` is before/after (> 1: faster now);
    ``machine_ratio`` is the benchmark floor's before/after and ``control_ratio`` the same
    study's unchanged solver's (where it has one), to read the time ratio against."""
    machine = floor(results, before) / floor(results, after)
    rows = []
    for study in STUDIES:
        b, a = study_solves(results, study, before), study_solves(results, study, after)
        if b is None or a is None or b == a:    # absent, or not rerun since
            continue
        rows.append({"study": study, "solves_before": b["solves"], "solves_after": a["solves"],
                     "time_before": b["time"], "time_after": a["time"],
                     "time_ratio": b["time"] / a["time"],
                     "median_before": b["median"], "median_after": a["median"],
                     "iterations_before": b["iterations"], "iterations_after": a["iterations"],
                     "iteration_ratio": b["iterations"] / a["iterations"],
                     "machine_ratio": machine,
                     "control_ratio": b["control_time"] / a["control_time"]})
    return pd.DataFrame(rows)
