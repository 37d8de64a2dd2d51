"""Finite-size prediction of P50 (the kinematic formula) against finished phase-transition runs.

    python experiments/finite_size.py RUN_DIR [RUN_DIR ...]
                                      [--out results/phase_transition/finite_size]
                                      [--draws 200000] [--seed 0] [--widths]

Each RUN_DIR holds a trials.csv and summary.csv written by experiments/phase_transition.py (a
directory is searched recursively, so a multirun's root works). For every (law, N, s) it adds
the kinematic-formula prediction (nettrim.suite.kinematic) put through the measured P50's own
estimator on the cell's P values and trial counts, and writes OUT.csv (every column), OUT.md
(the ratio table) and OUT.png / OUT.pdf. With ``--widths`` (make scale) the table also holds
the measured 10–90% width of each cell's transition against the predicted one, and
OUT_agreement.png (P50 and width ratios against s/N, every N) and OUT_collapse.png (every cell
on the predicted curve's coordinates) are drawn too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from nettrim.suite import plots
from nettrim.suite.kinematic import with_finite_size_prediction
from nettrim.suite.runs import phase_runs
from nettrim.suite.summary import cost_per_trial, markdown_table, pooled_ratios, save_table


def _ratio(r, key) -> str:
    return (f"{r[key]:.3f} [{r[key + '_lo']:.3f}, {r[key + '_hi']:.3f}]"
            if pd.notna(r[key]) else "—")


def _markdown(table) -> str:
    rows = [(r["sampling"], int(r["N"]), int(r["s"]), f"{r['p50']:.1f}",
             f"{r['p50_pred']:.1f}", _ratio(r, "ratio"), f"{r['p50_kinematic_fit']:.1f}",
             _ratio(r, "ratio_kinematic")) for _, r in table.iterrows()]
    return markdown_table(["law", "N", "s", "P50 measured", "δ(s,N)/q̂", "ratio [95% CI]",
                           "kinematic (same estimator)", "ratio [95% CI]"], rows)


def _width_markdown(table) -> str:
    def number(v):
        return f"{v:.1f}" if pd.notna(v) else "—"
    rows = [(r["sampling"], int(r["N"]), int(r["s"]), f"{r['s'] / r['N']:.2f}",
             number(r["p50"]), _ratio(r, "ratio_kinematic"), number(r["width"]),
             number(r["width_kinematic_fit"]), _ratio(r, "ratio_width"))
            for _, r in table.iterrows()]
    return markdown_table(["law", "N", "s", "s/N", "P50 measured", "P50 / kinematic [95% CI]",
                           "10–90% width measured", "predicted (same estimator)",
                           "width ratio [95% CI]"], rows)


def _cost_markdown(cost) -> str:
    rows = [(r["solver"], int(r["N"]), int(r["s"]), f"{r['s_over_N']:.2f}", int(r["trials"]),
             f"{r['median_time']:.3f}", f"{r['p90_time']:.3f}", f"{r['total_time']:.0f}")
            for _, r in cost.iterrows()]
    return ("Cost per trial (one core; every law's trials of the cell together):\n\n"
            + markdown_table(["solver", "N", "s", "s/N", "trials", "median (s)",
                              "90th percentile (s)", "total (s)"], rows))


def _pooled_markdown(pooled) -> str:
    def cell(r, key):
        return (f"{r[key + '_pooled']:.3f} [{r[key + '_pooled_lo']:.3f}, "
                f"{r[key + '_pooled_hi']:.3f}] ({r[key + '_min']:.3f}–{r[key + '_max']:.3f}, "
                f"{int(r[key + '_cells'])} cells)")
    rows = [(r["sampling"], int(r["N"]), cell(r, "ratio_kinematic"), cell(r, "ratio_width"))
            for _, r in pooled.iterrows()]
    return ("Cells with s ≥ 5, pooled per N (inverse-variance weighted mean in log, its 95% "
            "interval; the cells' range):\n\n"
            + markdown_table(["law", "N", "P50 / kinematic", "width / kinematic"], rows))


def draw(out: Path, runs=None) -> list[Path]:
    """OUT.md and the figures from OUT.csv (no Monte Carlo; make figures): OUT.png/.pdf. With
    ``runs`` — the run directories a ``--widths`` table was made from — the width study too:
    OUT_by_N.csv, OUT_cost.csv, their tables in OUT.md, OUT_agreement and OUT_collapse. The
    CSVs are rewritten only where a number moved beyond round-off."""
    out = Path(out)
    table = pd.read_csv(out.with_suffix(".csv"))
    widths = bool(runs)
    text = _width_markdown(table) if widths else _markdown(table)
    written = plots.save(plots.finite_size(table), out)
    if widths:
        pooled = pooled_ratios(table)
        save_table(pooled, f"{out}_by_N.csv")
        trials = pd.concat([t for _, t, _ in phase_runs(runs)], ignore_index=True)
        cost = cost_per_trial(trials)
        save_table(cost, f"{out}_cost.csv")
        text += "\n\n" + _pooled_markdown(pooled) + "\n\n" + _cost_markdown(cost)
        written += plots.save(plots.scale_agreement(table), f"{out}_agreement")
        written += plots.save(plots.transition_collapse(trials, table), f"{out}_collapse")
    out.with_suffix(".md").write_text(text)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="phase-transition run directories")
    ap.add_argument("--out", default="results/phase_transition/finite_size")
    ap.add_argument("--draws", type=int, default=200_000,
                    help="Monte Carlo draws for the intrinsic volumes of each (N, s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--widths", action="store_true",
                    help="also the transition widths, the agreement and collapse figures")
    args = ap.parse_args(argv)
    parts = [with_finite_size_prediction(t, s, draws=args.draws, seed=args.seed)
             for _, t, s in phase_runs(args.runs)]
    table = pd.concat(parts, ignore_index=True).sort_values(["sampling", "N", "s"])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out.with_suffix(".csv"), index=False)
    written = draw(out, args.runs if args.widths else None)
    print(out.with_suffix(".md").read_text())
    print("written:", out.with_suffix(".csv"), out.with_suffix(".md"), *map(str, written))


if __name__ == "__main__":
    main()
