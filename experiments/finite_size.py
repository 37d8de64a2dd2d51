"""Finite-size prediction of P50 (the kinematic formula) against finished phase-transition runs.

    python experiments/finite_size.py RUN_DIR [RUN_DIR ...]
                                      [--out results/phase_transition/finite_size]
                                      [--draws 200000] [--seed 0]

Each RUN_DIR holds a trials.csv and summary.csv written by experiments/phase_transition.py (a
directory is searched recursively, so a multirun's root works). For every (law, N, s) it adds
the kinematic-formula prediction (nettrim.suite.kinematic) put through the measured P50's own
estimator on the cell's P values and trial counts, and writes OUT.csv (every column), OUT.md
(the ratio table) and OUT.png / OUT.pdf.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from nettrim.suite import plots
from nettrim.suite.kinematic import with_finite_size_prediction
from nettrim.suite.summary import markdown_table


def _load(paths):
    pairs = []
    for p in map(Path, paths):
        if not p.exists():
            raise SystemExit(f"error: {p} does not exist")
        for f in sorted(p.rglob("summary.csv")):
            trials = f.parent / "trials.csv"
            if not trials.is_file():
                raise SystemExit(f"error: {f.parent} has a summary.csv but no trials.csv")
            try:
                pairs.append((pd.read_csv(trials), pd.read_csv(f)))
            except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
                raise SystemExit(f"error: {f.parent} holds an unreadable table ({exc})") from None
    if not pairs:
        raise SystemExit(f"error: no summary.csv found under {', '.join(map(str, paths))}")
    return pairs


def _markdown(table) -> str:
    def ratio(r, key):
        return (f"{r[key]:.3f} [{r[key + '_lo']:.3f}, {r[key + '_hi']:.3f}]"
                if pd.notna(r[key]) else "—")
    rows = [(r["sampling"], int(r["N"]), int(r["s"]), f"{r['p50']:.1f}",
             f"{r['p50_pred']:.1f}", ratio(r, "ratio"), f"{r['p50_kinematic_fit']:.1f}",
             ratio(r, "ratio_kinematic")) for _, r in table.iterrows()]
    return markdown_table(["law", "N", "s", "P50 measured", "δ(s,N)/q̂", "ratio [95% CI]",
                           "kinematic (same estimator)", "ratio [95% CI]"], rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="phase-transition run directories")
    ap.add_argument("--out", default="results/phase_transition/finite_size")
    ap.add_argument("--draws", type=int, default=200_000,
                    help="Monte Carlo draws for the intrinsic volumes of each (N, s)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    parts = [with_finite_size_prediction(t, s, draws=args.draws, seed=args.seed)
             for t, s in _load(args.runs)]
    table = pd.concat(parts, ignore_index=True).sort_values(["sampling", "N", "s"])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out.with_suffix(".csv"), index=False)
    out.with_suffix(".md").write_text(_markdown(table))
    written = plots.save(plots.finite_size(table), out)
    print(_markdown(table))
    print("written:", out.with_suffix(".csv"), out.with_suffix(".md"), *map(str, written))


if __name__ == "__main__":
    main()
