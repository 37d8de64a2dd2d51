"""What in a law moves its exact-recovery curve: its column norms, measured at one m.

    python experiments/column_norms.py [--out results/phase_transition/column_norms]
                                       [--cells 100:2,200:2,100:5,100:10] [--draws 1000]
                                       [--laws rademacher,uniform,student_t] [--seed 0]
                                       [--n-jobs 2]

At each (N, s) and m = the Gaussian curve's 50% row count (the Crofton formula,
nettrim.suite.kinematic), the fraction of ``--draws`` draws of m rows that certify a random
s-sparse w* (nettrim.suite.certificate.success_at) under four row models per law
(certificate.column_models): the law; the law with equal column norms; Gaussian rows with equal
column norms; Gaussian rows with the law's column norms. If the law's shape acts through its
column norms alone, the first equals the fourth and the second the third. Success means w* is
the unique minimiser; the rate with ties counted as successes (rows with atoms, ±1) is written
beside. Writes OUT.csv and OUT.md (Wilson 95% intervals).
"""

from __future__ import annotations

import argparse
import time
import zlib

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from statsmodels.stats.proportion import proportion_confint

from nettrim.suite.certificate import column_models, success_at
from nettrim.suite.kinematic import intrinsic_volumes, success_given_rows
from nettrim.suite.sampling import get_sampler
from nettrim.suite.summary import markdown_table, write_study

GAUSSIAN_ONLY = ("law", "Gaussian, equal column norms")


def _cells(text: str) -> list[tuple[int, int]]:
    try:
        return [tuple(int(v) for v in c.split(":")) for c in text.split(",") if c.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N:s pairs separated by commas; got {text!r}")


def _one(law, model, N, s, m, draws, seed) -> dict:
    draw_rows = column_models(get_sampler(law))[model]
    seq = np.random.SeedSequence([seed, N, s, zlib.crc32(f"{law}/{model}".encode())])
    wins, ties, n = success_at(draw_rows, N, s, m, draws=draws,
                               rng=np.random.default_rng(seq))
    lo, hi = proportion_confint(wins, n, method="wilson")
    return {"law": law, "model": model, "N": N, "s": s, "m": m, "draws": n,
            "success": wins / n, "success_lo": lo, "success_hi": hi,
            "success_tie": ties / n}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/phase_transition/column_norms")
    ap.add_argument("--cells", type=_cells, default=_cells("100:2,200:2,100:5,100:10"))
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--laws", default="rademacher,uniform,student_t")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args(argv)
    laws = ["gaussian", *[x for x in args.laws.split(",") if x and x != "gaussian"]]
    for law in laws:
        get_sampler(law)                         # an unknown name fails here, named
    start = time.perf_counter()
    jobs = []
    for N, s in args.cells:
        given = success_given_rows(intrinsic_volumes(
            s, N, draws=200_000, rng=np.random.default_rng([args.seed, N, s])))
        m = int(np.searchsorted(given, 0.5))
        # the Gaussian rows with equal norms do not depend on the law: drawn once, as gaussian's
        jobs += [delayed(_one)(law, model, N, s, m, args.draws, args.seed)
                 for law in laws for model in column_models(None)
                 if ((model in GAUSSIAN_ONLY) if law == "gaussian"
                     else model != GAUSSIAN_ONLY[1])]
    table = pd.DataFrame(Parallel(n_jobs=args.n_jobs, verbose=5)(jobs))
    rows = [(r["law"], r["model"], int(r["N"]), int(r["s"]), int(r["m"]),
             f"{r['success']:.3f} [{r['success_lo']:.3f}, {r['success_hi']:.3f}]",
             f"{r['success_tie']:.3f}") for _, r in table.iterrows()]
    text = markdown_table(["law", "rows", "N", "s", "m", "Pr(success | m) [95% CI]",
                           "ties counted as successes"], rows)
    written = write_study(table, args.out, text)
    print(text)
    print(f"{len(table)} rows in {time.perf_counter() - start:.0f} s; written:",
          *map(str, written))


if __name__ == "__main__":
    main()
