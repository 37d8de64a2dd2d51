"""The resumable engine: units of work run in parallel, each finished one kept on disk at once,
so a killed run loses only the work in flight and a restart recomputes nothing that checks out.

:func:`run_resumable` is shared by the grid sweeps (:func:`nettrim.suite.sweep.run_sweep`) and
the pruning studies (:func:`nettrim.suite.compression.run_study`); the on-disk part format and
its checks are :mod:`nettrim.suite.parts`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Callable

import pandas as pd
from joblib import Parallel, delayed

from .parts import PartDamaged, Progress, chunk_key, read_part, scan_parts, spec_hash, write_part

log = logging.getLogger("nettrim.suite.sweep")


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes whether a chunk was just computed or read back from its CSV file."""
    df = df.copy()
    for col in ("success", "support_recovered", "layer_recovered", "bound_held", "feasible"):
        if col in df:
            df[col] = df[col].astype("boolean")
    if "message" in df:
        df["message"] = df["message"].astype(object).fillna("").astype(str)
    for col in df.columns:
        if col in ("iterations", "time", "rel_error", "active_fraction", "epsilon") or \
                col.startswith("diff_vs_"):
            df[col] = df[col].astype(float)
    return df


def run_resumable(chunks: Sequence, work: Callable, *, out_dir=None, spec: dict | None = None,
                  n_jobs: int = 1, backend: str | None = None, progress: bool = True,
                  unit: str = "task", check: Callable | None = None) -> list[pd.DataFrame]:
    """Run ``work(chunk)`` (a list of row dicts) for every chunk, in parallel, keeping
    finished work on disk.

    With ``out_dir``, each finished chunk's rows go to ``out_dir/parts/chunk_<i>.csv``
    atomically as soon as that chunk ends, with a header naming the run's spec, the chunk and
    a checksum of the rows (:mod:`nettrim.suite.parts`), so a killed run loses only the chunks in
    flight. A restart with the same ``spec`` (a JSON-able description of everything that
    determines the rows) reads back every part that checks out and recomputes the others,
    naming them in a warning; a part written under another spec makes it refuse (ValueError
    naming the file) rather than mix two runs. A resumed run returns exactly what an
    uninterrupted one would.

    Parameters
    ----------
    chunks : sequence
        Units of work; ``work`` must be picklable (module-level function or partial) for
        ``n_jobs > 1``. Progress counts ``len(chunk)`` items per chunk.
    work : callable
    out_dir : path, optional
    spec : dict, optional
        Required with ``out_dir``.
    n_jobs, backend : joblib workers (-1: all cores) and backend (default: loky).
    progress : bool
        A bar on a terminal, periodic plain lines in a log.
    check : callable, optional
        ``check(chunk, df)`` raising :class:`nettrim.suite.parts.PartDamaged` when the rows read
        back from a part do not belong to ``chunk``.

    Returns
    -------
    list of DataFrame
        One per chunk, in chunk order, with the same dtypes whether computed or read back.
    """
    parts, done, h = None, {}, None
    n_chunks = len(chunks)
    if out_dir is not None:
        if spec is None:
            raise ValueError("spec is required with out_dir (it guards resumed runs)")
        out_dir = Path(out_dir)
        parts = out_dir / "parts"
        h = spec_hash(spec)
        if parts.is_dir():
            for i, f in scan_parts(parts, n_chunks, h).items():
                try:
                    df = read_part(f, spec=h, index=i, key=chunk_key(chunks[i]))
                    if check is not None:
                        check(chunks[i], df)
                except PartDamaged as exc:
                    log.warning("recomputing %s: %s", f, exc)
                    f.unlink(missing_ok=True)
                    continue
                done[i] = _normalise(df)
        parts.mkdir(parents=True, exist_ok=True)

    n_items = getattr(chunks, "n_items", None)
    if n_items is None:
        n_items = sum(len(c) for c in chunks)
    if done:
        log.info("resuming: %d of %d chunks already done", len(done), n_chunks)
    bar = Progress(n_items, initial=sum(len(chunks[i]) for i in done), unit=unit,
                   enabled=progress)
    results = dict(done)
    todo = (i for i in range(n_chunks) if i not in done)
    runner = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator_unordered")
    for i, rows in runner(delayed(_with_id)(i, work, chunks[i]) for i in todo):
        df = _normalise(pd.DataFrame(rows))
        if parts is not None:
            write_part(df, parts / f"chunk_{i:06d}.csv", spec=h, index=i,
                       key=chunk_key(chunks[i]))
        results[i] = df
        bar.update(len(chunks[i]))
    bar.close()
    return [results[i] for i in range(n_chunks)]


def _with_id(i, work, chunk):
    return i, work(chunk)


__all__ = ["run_resumable"]
