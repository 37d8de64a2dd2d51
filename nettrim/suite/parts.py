"""Resumable, self-describing work: each finished chunk is a part file that names the run and
the chunk it belongs to and carries a checksum of its rows.

A part is ``parts/chunk_<i>.csv``: one header line

    # nettrim-part {"chunk": i, "key": <hash of the chunk's tasks>, "rows": n,
                    "sha256": <hash of the CSV body>, "spec": <hash of the run's spec>}

then the CSV body. On resume a part is used only if every field checks out; a part that is
unreadable, truncated, garbled, renamed or copied from another chunk is named in a warning and
recomputed (its tasks are deterministic), and a part written by a run with another spec makes
the run refuse, naming the file: two configurations never share a folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import sys
import time
from pathlib import Path

import pandas as pd

log = logging.getLogger("nettrim.suite.sweep")

_MAGIC = "# nettrim-part "
_HEADER_FIELDS = {"chunk", "key", "rows", "sha256", "spec"}


class PartDamaged(Exception):
    """A part file that cannot be trusted (the reason is the message)."""


def spec_hash(spec: dict) -> str:
    """A short, stable hash of a JSON-able description of everything that determines the rows."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]


def chunk_key(chunk) -> str:
    """The identity of one chunk of work (a hash of its tasks)."""
    return hashlib.sha256(json.dumps(list(chunk), default=str).encode()).hexdigest()[:16]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def write_part(df: pd.DataFrame, path: Path, *, spec: str, index: int, key: str) -> None:
    """Write ``df`` as a part file atomically (write a temporary file, then rename)."""
    body = df.to_csv(index=False)
    header = {"chunk": int(index), "key": key, "rows": len(df), "sha256": _digest(body),
              "spec": spec}
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(_MAGIC + json.dumps(header, sort_keys=True) + "\n" + body)
    os.replace(tmp, path)


def read_header(path: Path) -> dict:
    """The header of a part file; :class:`PartDamaged` if it has none that parses."""
    try:
        with open(path, "rb") as f:
            first = f.readline(4096).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PartDamaged(f"unreadable ({exc})") from None
    if not first.startswith(_MAGIC) or not first.endswith("\n"):
        raise PartDamaged("no part header (empty, truncated or not written by nettrim)")
    try:
        header = json.loads(first[len(_MAGIC):])
    except json.JSONDecodeError:
        raise PartDamaged("garbled part header") from None
    if not isinstance(header, dict) or set(header) != _HEADER_FIELDS:
        raise PartDamaged("garbled part header")
    return header


def read_part(path: Path, *, spec: str, index: int, key: str) -> pd.DataFrame:
    """Read a part written for chunk ``index`` (with tasks hashing to ``key``) of the run
    ``spec``; :class:`PartDamaged` if anything does not check out. A part of another run
    raises ValueError (the caller refuses to mix runs)."""
    header = read_header(path)
    if header["spec"] != spec:
        raise ValueError(f"{path} was written by a run with a different configuration "
                         f"(spec {header['spec']}, this run's is {spec}); choose another output "
                         f"directory or delete that one to start over")
    if header["chunk"] != index or header["key"] != key:
        raise PartDamaged(f"holds chunk {header['chunk']}'s rows, not chunk {index}'s "
                          f"(copied or renamed)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PartDamaged(f"unreadable ({exc})") from None
    body = text.split("\n", 1)[1]
    if _digest(body) != header["sha256"]:
        raise PartDamaged("its rows do not match their checksum (truncated or edited)")
    try:
        df = pd.read_csv(io.StringIO(body), keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise PartDamaged(f"unparseable rows ({exc})") from None
    if len(df) != header["rows"]:
        raise PartDamaged(f"{len(df)} rows where its header says {header['rows']}")
    return df


def scan_parts(parts: Path, n_chunks: int, spec: str) -> dict[int, Path]:
    """The part files of ``parts/`` that may belong to this run, by chunk index.

    Refuses (ValueError naming the file) if any part was written by a run with another spec;
    parts whose header is damaged are still listed (read_part will reject them)."""
    found = {}
    for f in sorted(parts.glob("chunk_*.csv")):
        try:
            header = read_header(f)
        except PartDamaged:
            header = None
        if header is not None and header["spec"] != spec:
            raise ValueError(f"{f} was written by a run with a different configuration (spec "
                             f"{header['spec']}, this run's is {spec}); choose another output "
                             f"directory or delete that one to start over")
        try:
            i = int(f.stem.split("_", 1)[1])
        except ValueError:
            log.warning("ignoring %s: not a chunk_<number>.csv part name", f)
            continue
        if i < n_chunks:
            found[i] = f
        else:
            log.warning("ignoring %s: this run has only %d chunks", f, n_chunks)
    return found


class Progress:
    """Progress of a long run: a tqdm bar on a terminal; in a log (stderr not a terminal), a
    plain line every ``every`` seconds and at the end, so captured logs stay readable."""

    def __init__(self, total: int, *, initial: int = 0, unit: str = "task",
                 enabled: bool = True, every: float = 30.0, stream=None):
        self.total, self.done, self.unit, self.every = total, initial, unit, every
        self.start = self.last = time.monotonic()
        self.initial = initial
        self.enabled = enabled
        stream = stream if stream is not None else sys.stderr
        self.bar = None
        if enabled and getattr(stream, "isatty", lambda: False)():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, unit=unit, file=stream)

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and time.monotonic() - self.last >= self.every:
            self._line()

    def _line(self) -> None:
        self.last = now = time.monotonic()
        elapsed = now - self.start
        fresh = self.done - self.initial
        left = (self.total - self.done) * elapsed / fresh if fresh else math.nan
        log.info("progress: %d/%d %ss (%.0f%%), %s elapsed, ~%s left", self.done, self.total,
                 self.unit, 100 * self.done / max(self.total, 1), format_duration(elapsed),
                 format_duration(left))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            self._line()


def format_duration(seconds: float) -> str:
    """'42 s', '17 min' or '2.5 h' (or '?' for an unknown time).

    Parameters
    ----------
    seconds : float

    Returns
    -------
    str
    """
    if not math.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
