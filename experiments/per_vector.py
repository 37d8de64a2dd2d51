"""The design-aware prediction per planted vector, for inputs with a common mean, against runs.

    python experiments/per_vector.py RUN_DIR [RUN_DIR ...]
                                     [--out results/phase_transition/per_vector]
                                     [--s 2,3,4,6,8,12,20] [--vectors 400] [--samples 20000]
                                     [--boot 100] [--n-jobs 2]

With a common mean each planted w* has its own active fraction q_w and its own active-row law
x | w*ᵀx > 0, so one sweep cell mixes very different transitions. For every (N, s) of each
finished run (its sampler, planted values and bias row read from its config.yaml, its seed
reused) this draws ``--vectors`` planted vectors and, for each, the fewest rows (samples)
that certify it (nettrim.suite.certificate.with_planted_prediction), with the rows drawn two
ways: Gaussian active rows with the vector's second moment Σ_w (the design-aware model, now
with each vector's whole kinematic curve instead of a step at δ_w) and the law's own samples
in order, active ones as equalities and inactive ones tight at w* as inequalities (the exact
reduction, Monte Carlo only: a non-negative law's inputs can vanish on the support). The
mixture over vectors (Pr(Binomial(P, q_w) ≥ m*_w) for rows, Pr(P*_w ≤ P) for samples) is put
through the measured P50's estimator; its own Monte Carlo error is a bootstrap over vectors.
The committed design-aware ratio (20 vectors, step at δ_w) is kept beside. Writes OUT.csv,
OUT.md, OUT.png/pdf.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from nettrim.suite import plots
from nettrim.suite.certificate import with_planted_prediction
from nettrim.suite.runs import finished_config, phase_runs
from nettrim.suite.sampling import sampler_from_config
from nettrim.suite.summary import markdown_table, write_study


def _ints(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas; got {text!r}")


def _run(run: Path, trials, summary, args) -> pd.DataFrame:
    config = finished_config(run)
    planted = config.get("planted", {})
    _, sampler = sampler_from_config(config["sampling"])
    cells = summary[summary["s"].isin(args.s)]
    if cells.empty:
        raise SystemExit(f"error: {run} has none of s = {args.s}")
    out = with_planted_prediction(trials, cells, sampler, vectors=args.vectors,
                                  values=planted.get("values", "gaussian"),
                                  bias=planted.get("bias", False),
                                  bias_value=planted.get("bias_value"),
                                  samples=args.samples, boot=args.boot, seed=config["seed"],
                                  n_jobs=args.n_jobs, progress=True)
    out.insert(0, "run", run.name)
    return out


def _cell(r, key) -> str:
    ratio = r[f"ratio_{key}"]
    se = r[f"p50_{key}_fit_se"] / r[f"p50_{key}_fit"] * ratio
    return f"{ratio:.3f} ± {se:.3f}"


def markdown(table) -> str:
    rows = [(r["run"], int(r["s"]), f"{r['p50']:.1f} [{r['p50_lo']:.1f}, {r['p50_hi']:.1f}]",
             f"{r['ratio']:.2f}", f"{r['ratio_design']:.2f}", _cell(r, "moment"),
             _cell(r, "exact")) for _, r in table.iterrows()]
    return markdown_table(["run", "s", "P50 measured [95% CI]", "/ δ(s,N)/q̂",
                           "/ design-aware (step at δ_w, 20 vectors)",
                           "/ per-vector Gaussian rows with Σ_w (± prediction s.e.)",
                           "/ per-vector exact: the law's own samples (± prediction s.e.)"], rows)


def draw(out: Path) -> list[Path]:
    """The figure from OUT.csv (no Monte Carlo)."""
    return plots.save(plots.per_vector(pd.read_csv(out.with_suffix(".csv"))), out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="finished phase-transition run directories")
    ap.add_argument("--out", default="results/phase_transition/per_vector")
    ap.add_argument("--s", type=_ints, default=[2, 3, 4, 6, 8, 12, 20])
    ap.add_argument("--vectors", type=int, default=400)
    ap.add_argument("--samples", type=int, default=20_000)
    ap.add_argument("--boot", type=int, default=100)
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args(argv)
    start = time.perf_counter()
    table = pd.concat([_run(run, t, s, args) for run, t, s in phase_runs(args.runs)],
                      ignore_index=True)
    out = Path(args.out)
    text = markdown(table)
    written = write_study(table, out, text) + draw(out)
    print(text)
    print(f"{len(table)} cells in {time.perf_counter() - start:.0f} s; written:",
          *map(str, written))


if __name__ == "__main__":
    main()
