"""Overlay several phase-transition runs (e.g. the sampling hypotheses of a multirun).

    python experiments/figures.py RUN_DIR [RUN_DIR ...] [--out results/phase_transition/overlay]
                                 [--table]

Each RUN_DIR holds a summary.csv written by experiments/phase_transition.py (a directory is
searched recursively, so a multirun's root works). Runs that all carry the design-aware
prediction (experiment=design) are drawn against it (and, faintly, against the isotropic one);
others against δ(s,N)/q̂. Runs without a summary.csv are named in a warning. Writes OUT.png /
OUT.pdf, and with --table
OUT.csv: the summaries stacked, one row per (series, N, s), the series named in its column
``run`` as in the legend. One series per run and (sampling, solver); noisy-recovery runs are
refused (the overlay's prediction is exact recovery's).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from nettrim.suite import plots
from nettrim.suite.summary import save_table


def load_summaries(paths) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """label → summary for every summary.csv under the given paths, one series per run and
    (sampling, solver) in it, and the run directories found without one (unfinished runs:
    skipped, and said so). A label is the series' sampling name, with its solver when the
    series use several, and its run folder (its path, when folder names repeat) when two
    series would share it: no series is dropped. Noisy-recovery runs are refused: their P50
    is not exact recovery's, which is the prediction the overlay draws."""
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
    files = list(dict.fromkeys(f.resolve() for f in files))      # a run named twice counts once
    if not files:
        raise SystemExit(f"error: no summary.csv found under {', '.join(map(str, paths))}")
    series = []
    for f in files:
        _refuse_noisy(f)
        try:
            t = pd.read_csv(f)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise SystemExit(f"error: {f} is not a readable summary table ({exc})") from None
        missing = {"sampling", "solver", "N", "s", "p50", "p50_lo", "p50_hi", "fit",
                   "ratio"} - set(t.columns)
        if missing:
            raise SystemExit(f"error: {f} lacks the summary columns {sorted(missing)}; "
                             f"re-create it with experiments/phase_transition.py")
        series += [(f.parent, sampling, solver, g.reset_index(drop=True))
                   for (sampling, solver), g in t.groupby(["sampling", "solver"], sort=False)]
    several_solvers = len({solver for _, _, solver, _ in series}) > 1
    names = [f"{sampling} ({solver})" if several_solvers else str(sampling)
             for _, sampling, solver, _ in series]
    folders = [run.name for run, *_ in series]
    out = {}
    for (run, *_, t), name, folder in zip(series, names, folders):
        label = name
        if names.count(name) > 1:
            same_folder = sum(n == name and d == folder for n, d in zip(names, folders)) > 1
            label = f"{name} [{run if same_folder else folder}]"
        out[label] = t.assign(run=label)
    return out, skipped


def _refuse_noisy(summary: Path) -> None:
    """SystemExit when the run of ``summary`` observed its outputs with noise (its
    config.yaml says so): its P50 is noisy recovery's, not the exact recovery the overlay's
    prediction is for."""
    import yaml

    config = summary.parent / "config.yaml"
    if not config.is_file():
        return
    try:
        noise = (yaml.safe_load(config.read_text()) or {}).get("noise")
    except yaml.YAMLError:
        raise SystemExit(f"error: {config} is not readable YAML (a damaged run?)") from None
    if isinstance(noise, dict) and (noise.get("sigma") or 0) > 0:
        raise SystemExit(f"error: {summary.parent} is a noisy-recovery run (noise "
                         f"{noise.get('model')}, sigma {noise.get('sigma')}): its P50 is not "
                         f"exact recovery's, which the overlay's prediction is for; its own "
                         f"figures (experiments/solver_agreement.py) draw it against the "
                         f"Gordon bound")


_TITLE = "measured P50 against the prediction δ(s,N)/q̂"
_DESIGN_TITLE = "measured P50 against the design-aware prediction, per input law"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="run directories or summary.csv files")
    ap.add_argument("--out", default="results/phase_transition/overlay")
    ap.add_argument("--title", default="", help="figure title (default: what it shows)")
    ap.add_argument("--table", action="store_true", help="also write the stacked summaries")
    args = ap.parse_args(argv)
    summaries, skipped = load_summaries(args.runs)
    for run in skipped:
        print(f"warning: skipped {run}: it has no summary.csv (an unfinished run?)")
    # runs of experiment=design carry the design-aware prediction: drawn against it
    design = all("p50_design" in t and t["p50_design"].notna().any()
                 for t in summaries.values())
    figure = (plots.overlay_design(summaries, args.title or _DESIGN_TITLE) if design
              else plots.overlay(summaries, args.title or _TITLE))
    written = plots.save(figure, args.out)
    if args.table:
        stacked = pd.concat(summaries.values(), ignore_index=True)
        save_table(stacked, Path(args.out).with_suffix(".csv"))
        written.append(Path(args.out).with_suffix(".csv"))
    print("written:", *map(str, written))


if __name__ == "__main__":
    main()
