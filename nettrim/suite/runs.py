"""A run folder's lifecycle: one run per folder, claimed while it runs, identified by its
config.yaml once its results are written.

:func:`start_run` claims the folder (:func:`claim_folder`: a second live run into it is refused
at once) and checks that it may take this run (:func:`check_same_run`: a folder holding a
finished run of another configuration is refused before anything in it is touched);
:func:`finish_run` writes the config beside the results and ends the claim. The keys of
:data:`RUNTIME_KEYS` change how a run goes, not what it computes, and do not count.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger("nettrim.suite.sweep")


#: Config keys that change how a run goes, not what it computes: a finished run may be
#: re-run in its folder with other values of these.
RUNTIME_KEYS = ("n_jobs", "progress", "parallel", "chunk_size", "figures", "allow_large",
                "model_cache")
#: List-valued config keys along which a finished run may be extended: re-run with every
#: entry it had and more, it computes only the new ones (:func:`grown`; the pruning study adds
#: a baseline at the counts its Net-Trim rows hold, without solving Net-Trim again).
GROWING_KEYS = ("baselines",)


def _grows(old, new) -> bool:
    return isinstance(old, list) and isinstance(new, list) and all(v in new for v in old)


def _differences(old, new, prefix="") -> list[str]:
    """Dotted keys whose values differ between two plain config containers (a top-level key
    of :data:`GROWING_KEYS` that only gained entries does not count)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new), key=str):
            if not prefix and (k in RUNTIME_KEYS
                               or k in GROWING_KEYS and _grows(old.get(k), new.get(k))):
                continue
            key = f"{prefix}{k}"
            if k not in old:
                out.append(f"{key}: (absent) → {new[k]!r}")
            elif k not in new:
                out.append(f"{key}: {old[k]!r} → (absent)")
            else:
                out += _differences(old[k], new[k], key + ".")
        return out
    return [] if old == new else [f"{prefix.rstrip('.')}: {old!r} → {new!r}"]


def _finished_config(out_dir) -> dict | None:
    """The config.yaml of the finished run in ``out_dir`` (None when there is none)."""
    from omegaconf import OmegaConf

    saved = Path(out_dir) / "config.yaml"
    if not saved.is_file():
        return None
    try:
        old = OmegaConf.to_container(OmegaConf.load(saved), resolve=False)
    except Exception as exc:  # a damaged config.yaml: the folder's identity is unknown
        reason = " ".join(str(exc).split())
        raise ValueError(f"{saved} cannot be read ({type(exc).__name__}: {reason}), so the run in "
                         f"{out_dir} cannot be identified; delete that folder or choose another "
                         f"one") from None
    return old


def _plain(cfg) -> dict:
    from omegaconf import OmegaConf

    new = OmegaConf.to_container(cfg, resolve=False) if not isinstance(cfg, dict) else dict(cfg)
    new.pop("hydra", None)
    return new


def grown(out_dir, cfg) -> dict:
    """The entries ``cfg`` adds, key by key of :data:`GROWING_KEYS`, to the finished run in
    ``out_dir`` (empty when there is no finished run or nothing was added)."""
    old = _finished_config(out_dir)
    if old is None:
        return {}
    new = _plain(cfg)
    added = {k: [v for v in new[k] if v not in old[k]] for k in GROWING_KEYS
             if _grows(old.get(k), new.get(k))}
    return {k: v for k, v in added.items() if v}


def check_same_run(out_dir, cfg) -> None:
    """Refuse to run ``cfg`` in ``out_dir`` if that folder holds a finished run (its tracked
    config.yaml) of a different configuration; values of :data:`RUNTIME_KEYS` may differ, and
    a key of :data:`GROWING_KEYS` may gain entries (:func:`grown`).

    This is what keeps a committed reference run intact on a fresh clone: config.yaml is
    written with the results and tracked with them, so the check needs nothing git ignores.
    """
    old = _finished_config(out_dir)
    if old is None:
        return
    diff = _differences(old, _plain(cfg))
    if diff:
        more = f" and {len(diff) - 4} more" if len(diff) > 4 else ""
        raise ValueError(f"{out_dir} holds a finished run with a different configuration "
                         f"({'; '.join(diff[:4])}{more}); choose another output directory "
                         f"(tag=... or hydra.run.dir=...) or delete that one to start over")


class FolderInUse(OSError):
    """Another live process holds the run folder (:func:`claim_folder`)."""


#: The lock file of a claimed run folder (git-ignored); it names its holder.
CLAIM_FILE = ".claim"
#: Folders this process holds → their open lock files. The lock is the kernel's (flock), held
#: by the open file: a killed run's claim ends with its process, and none is left stuck.
_CLAIMS: dict = {}


def claim_folder(out_dir) -> None:
    """Hold ``out_dir`` for this process until :func:`release_folder` (or exit), creating it.

    A second process claiming the same folder meanwhile gets :class:`FolderInUse` at once
    (naming the holder), before it reads or writes anything there; claiming again in the same
    process is a no-op (one process runs one study at a time)."""
    import fcntl

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = str(out_dir.resolve())
    if key in _CLAIMS:
        return
    handle = open(out_dir / CLAIM_FILE, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise FolderInUse(f"{out_dir} is in use by another run ({holder}); wait for it to "
                          f"finish or give this run another folder (tag=... or "
                          f"hydra.run.dir=...)") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    handle.flush()
    _CLAIMS[key] = handle


def release_folder(out_dir) -> None:
    """End this process's claim on ``out_dir`` (:func:`claim_folder`), if it holds one."""
    import fcntl

    handle = _CLAIMS.pop(str(Path(out_dir).resolve()), None)
    if handle is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def start_run(cfg, out_dir) -> tuple[Path, dict]:
    """Claim ``out_dir`` for this run (:func:`claim_folder`: a concurrent run into the same
    folder is refused at once), check it may take this run (:func:`check_same_run`) and return
    it with the resolved config as a plain dict.

    The config itself is written by :func:`finish_run`, once the results are: a run that
    fails on bad input must not leave a config.yaml that disagrees with the results beside it.
    """
    from omegaconf import OmegaConf

    out_dir = Path(out_dir)
    check_same_run(out_dir, cfg)        # a refusal touches nothing, not even the lock file
    claim_folder(out_dir)
    try:
        check_same_run(out_dir, cfg)    # again: a run may have finished there meanwhile
    except ValueError:
        release_folder(out_dir)
        raise
    return out_dir, OmegaConf.to_container(cfg, resolve=True)


def finish_run(cfg, out_dir) -> None:
    """Save the config that produced the results in ``out_dir`` there as config.yaml (the
    run's identity, see :func:`check_same_run`), then end the run's claim on the folder."""
    from omegaconf import OmegaConf

    # written beside and renamed: a run killed mid-save leaves no half config.yaml (which
    # check_same_run could not read, refusing the same command ever after)
    tmp = Path(out_dir) / ".config.yaml.tmp"
    OmegaConf.save(cfg, tmp)
    os.replace(tmp, Path(out_dir) / "config.yaml")
    log.info("written to %s", out_dir)
    release_folder(out_dir)


def finished_config(out_dir) -> dict:
    """The config.yaml of a finished run folder as a plain dict (what a redraw reads), or
    SystemExit naming the folder when it holds none (not a finished run)."""
    import yaml

    saved = Path(out_dir) / "config.yaml"
    if not saved.is_file():
        raise SystemExit(f"error: {out_dir} holds no config.yaml (not a finished run)")
    return yaml.safe_load(saved.read_text())


def phase_runs(paths) -> list[tuple]:
    """(run folder, trials, summary) for every summary.csv under ``paths`` (a multirun's root
    works), in path order; SystemExit naming the folder for a missing path, a summary without
    its trials.csv or an unreadable table, and when nothing is found."""
    import pandas as pd

    found = []
    for p in map(Path, paths):
        if not p.exists():
            raise SystemExit(f"error: {p} does not exist")
        for f in sorted(p.rglob("summary.csv")):
            trials = f.parent / "trials.csv"
            if not trials.is_file():
                raise SystemExit(f"error: {f.parent} has a summary.csv but no trials.csv")
            try:
                found.append((f.parent, pd.read_csv(trials), pd.read_csv(f)))
            except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
                raise SystemExit(f"error: {f.parent} holds an unreadable table ({exc})") from None
    if not found:
        raise SystemExit(f"error: no summary.csv found under {', '.join(map(str, paths))}")
    return found


__all__ = ["RUNTIME_KEYS", "phase_runs", "check_same_run", "FolderInUse", "claim_folder",
           "release_folder", "start_run", "finish_run", "finished_config"]
