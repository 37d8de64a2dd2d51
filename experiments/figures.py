"""Overlay several phase-transition runs (e.g. the sampling hypotheses of a multirun).

    python experiments/figures.py RUN_DIR [RUN_DIR ...] [--out results/phase_transition/overlay]
                                 [--table]

Each RUN_DIR holds a summary.csv written by experiments/phase_transition.py (a directory is
searched recursively, so a multirun's root works). Writes OUT.png / OUT.pdf, and with --table
OUT.csv: the summaries stacked, one row per (run, N, s).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from nettrim.suite import plots


def load_summaries(paths) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """label → summary for every summary.csv under the given paths (the label is the run's
    sampling name, with its solver when the runs use several solvers), and the run
    directories found without one (unfinished runs: skipped, and said so)."""
    files, skipped = [], []
    for p in map(Path, paths):
        if not p.exists():
            raise SystemExit(f"error: {p} does not exist")
        if p.is_file():
            files.append(p)
            continue
        files += sorted(p.rglob("summary.csv"))
        runs = {f.parent for pattern in ("trials.csv", "config.yaml", "parts")
                for f in p.rglob(pattern)}
        skipped += [str(r) for r in sorted(runs) if not (r / "summary.csv").is_file()
                    and r.name != ".hydra"]          # Hydra's own record, not a run
    if not files:
        raise SystemExit(f"error: no summary.csv found under {', '.join(map(str, paths))}")
    tables = []
    for f in files:
        try:
            t = pd.read_csv(f)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise SystemExit(f"error: {f} is not a readable summary table ({exc})") from None
        missing = {"sampling", "solver", "N", "s", "p50", "p50_lo", "p50_hi", "fit",
                   "ratio"} - set(t.columns)
        if missing:
            raise SystemExit(f"error: {f} lacks the summary columns {sorted(missing)}; "
                             f"re-create it with experiments/phase_transition.py")
        tables.append(t)
    several_solvers = len({s for t in tables for s in t["solver"].unique()}) > 1
    out = {}
    for f, t in zip(files, tables):
        label = "+".join(sorted(t["sampling"].unique()))
        if several_solvers:
            label += f" ({'+'.join(sorted(t['solver'].unique()))})"
        out[label if label not in out else f"{label} [{f.parent.name}]"] = t
    return out, skipped


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="run directories or summary.csv files")
    ap.add_argument("--out", default="results/phase_transition/overlay")
    ap.add_argument("--title", default="measured P50 against the prediction δ(s,N)/q̂")
    ap.add_argument("--table", action="store_true", help="also write the stacked summaries")
    args = ap.parse_args(argv)
    summaries, skipped = load_summaries(args.runs)
    for run in skipped:
        print(f"warning: skipped {run}: it has no summary.csv (an unfinished run?)")
    written = plots.save(plots.overlay(summaries, args.title, skipped), args.out)
    if args.table:
        stacked = pd.concat(summaries.values(), ignore_index=True)
        stacked.to_csv(Path(args.out).with_suffix(".csv"), index=False)
        written.append(Path(args.out).with_suffix(".csv"))
    print("written:", *map(str, written))


if __name__ == "__main__":
    main()
