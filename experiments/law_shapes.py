"""Each sign-symmetric law's own finite-size prediction of P50, against finished runs.

    python experiments/law_shapes.py RUN_DIR [RUN_DIR ...]
                                     [--kinematic results/phase_transition/scale.csv]
                                     [--out results/phase_transition/law_shapes]
                                     [--draws 200] [--max-s 20] [--seed 0] [--n-jobs 2]

The kinematic formula is exact for Gaussian rows only. For any sign-symmetric law the active
rows are, up to sign, i.i.d. draws of the law, so the ε = 0 program succeeds given m active
rows exactly when those rows certify w*'s support and signs (nettrim.suite.certificate); the
fewest rows that do, over ``--draws`` nested draws, is the law's own Pr(success | m), and
|Ω| ~ Binomial(P, q̂) makes it a P-curve, put through the measured P50's estimator on each
cell's P values and trial counts. If the measured P50 agrees with this and not with the
kinematic formula, the gap is the law's, not the program's (the binomial |Ω| and the slack
inactive constraints hold for every such law). Cells with s > ``--max-s`` are left out (the
certificate programs grow with s). The kinematic ratio comes from ``--kinematic`` (the table
experiments/finite_size.py --widths writes; make scale). Writes OUT.csv, OUT.md, OUT.png/pdf
and OUT_thresholds.csv.gz (every draw's fewest certifying rows, to reuse).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from nettrim.suite import plots
from nettrim.suite.certificate import with_law_prediction
from nettrim.suite.runs import phase_runs
from nettrim.suite.summary import markdown_table, write_study

KEYS = ["sampling", "N", "s"]


def _ratio(r, key) -> str:
    return (f"{r[key]:.3f} [{r[key + '_lo']:.3f}, {r[key + '_hi']:.3f}]"
            if pd.notna(r[key]) else "—")


def markdown(table) -> str:
    rows = [(r["sampling"], int(r["N"]), int(r["s"]), f"{r['p50']:.1f}",
             f"{r['p50_kinematic_fit']:.1f}", _ratio(r, "ratio_kinematic"),
             f"{r['mean_rows']:.2f}",
             f"{r['p50_law_fit']:.1f} ± {r['p50_law_fit_se']:.1f}", _ratio(r, "ratio_law"),
             f"{r['ties']:.2f}", f"{r['p50'] / r['p50_law_tie_fit']:.3f}")
            for _, r in table.iterrows()]
    return markdown_table(["law", "N", "s", "P50 measured", "kinematic (Gaussian rows)",
                           "ratio [95% CI]", "mean rows to certify (the law)",
                           "the law's own curve (± s.e.)", "ratio [95% CI]", "draws with a tie",
                           "ratio, ties as successes"], rows)


def draw(out: Path) -> list[Path]:
    """The figure from OUT.csv (no Monte Carlo)."""
    return plots.save(plots.law_shapes(pd.read_csv(out.with_suffix(".csv"))), out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="phase-transition run directories")
    ap.add_argument("--kinematic", default="results/phase_transition/scale.csv",
                    help="the kinematic-prediction table (experiments/finite_size.py)")
    ap.add_argument("--out", default="results/phase_transition/law_shapes")
    ap.add_argument("--draws", type=int, default=200,
                    help="nested row draws per (law, N, s)")
    ap.add_argument("--max-s", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args(argv)
    kin = pd.read_csv(args.kinematic)
    need = KEYS + ["p50_kinematic_fit", "ratio_kinematic", "ratio_kinematic_lo",
                   "ratio_kinematic_hi"]
    if missing := sorted(set(need) - set(kin.columns)):
        raise SystemExit(f"error: {args.kinematic} lacks columns {missing}")
    start = time.perf_counter()
    runs = phase_runs(args.runs)
    summary = pd.concat([s[s["s"] <= args.max_s] for _, _, s in runs], ignore_index=True)
    if summary.duplicated(KEYS).any():
        raise SystemExit("error: two runs hold the same (sampling, N, s) cell")
    trials = pd.concat([t for _, t, _ in runs], ignore_index=True)
    table, thresholds = with_law_prediction(trials, summary, draws=args.draws, seed=args.seed,
                                            n_jobs=args.n_jobs, progress=True)
    table = table.merge(kin[need], on=KEYS, how="left", validate="one_to_one")
    if table["ratio_kinematic"].isna().any():
        cells = table.loc[table["ratio_kinematic"].isna(), KEYS].to_dict("records")
        raise SystemExit(f"error: {args.kinematic} has no kinematic prediction for {cells}")
    table = table.sort_values(KEYS).reset_index(drop=True)
    out = Path(args.out)
    text = markdown(table)
    written = write_study(table, out, text)
    thresholds.to_csv(f"{out}_thresholds.csv.gz", index=False)
    written += draw(out)
    print(text)
    print(f"{len(table)} cells in {time.perf_counter() - start:.0f} s; written:",
          f"{out}_thresholds.csv.gz", *map(str, written))


if __name__ == "__main__":
    main()
