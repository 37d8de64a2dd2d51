"""The studies' ADMM layer solves before and after a solver change, from committed results.

    python experiments/solve_times.py --before REV [--after REV] [--out results/solve_times]

Reads each study's own tables (nettrim.suite.solve_times.STUDIES) at git revision REV and in
the working tree (or at --after), and writes OUT/table.csv and OUT/table.md: solves, total
and median time, total iterations, their ratios, and the ratio of the two runs' benchmark
product floors (the machine's speed on each day) and, where a study also ran an unchanged
solver on the same trials (the LP), that solver's time ratio: a time ratio is to be read
against those two; the iteration ratio does not depend on the machine.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from nettrim.suite.solve_times import compare
from nettrim.suite.summary import markdown_table

ROOT = Path(__file__).resolve().parents[1]


def _markdown(t) -> str:
    header = ["study", "ADMM solves", "time before → after (s)", "time ratio",
              "iterations before → after", "iteration ratio", "LP time ratio (control)"]
    rows = [[r.study, f"{r.solves_before} / {r.solves_after}",
             f"{r.time_before:.1f} → {r.time_after:.1f}", f"{r.time_ratio:.2f}×",
             ("–" if r.iterations_before != r.iterations_before
              else f"{r.iterations_before:,.0f} → {r.iterations_after:,.0f}"),
             ("–" if r.iteration_ratio != r.iteration_ratio else f"{r.iteration_ratio:.2f}×"),
             ("–" if r.control_ratio != r.control_ratio else f"{r.control_ratio:.2f}×")]
            for r in t.itertuples()]
    m = t["machine_ratio"].iloc[0]
    note = (f"\nBenchmark floor (two 200·50·2000 products) before/after: {m:.2f} "
            "(below 1: the machine was slower for the later run).\n" if m == m else "")
    return markdown_table(header, rows) + note


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git revision of the earlier results")
    parser.add_argument("--after", default=None, help="git revision (default: working tree)")
    parser.add_argument("--out", default=str(ROOT / "results" / "solve_times"))
    args = parser.parse_args(argv)
    for rev in filter(None, (args.before, args.after)):
        ok = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "-q",
                             f"{rev}^{{commit}}"], capture_output=True).returncode == 0
        if not ok:
            raise SystemExit(f"error: --before/--after {rev!r} is not a git revision here")
    table = compare(ROOT / "results", args.before, args.after)
    if table.empty:
        raise SystemExit("error: no study has results in both versions")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.insert(0, "before", args.before)
    table.insert(1, "after", args.after or "working tree")
    table.to_csv(out / "table.csv", index=False)
    (out / "table.md").write_text(_markdown(table))
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
