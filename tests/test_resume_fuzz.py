"""Resume fuzz: a finished run's parts are damaged at random; every rerun either refuses,
naming the file, or ends with the uninterrupted table. Never a different table."""

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from nettrim.suite.sampling import gaussian
from nettrim.suite.sweep import expand_grid, run_sweep

CELLS = expand_grid(20, [2, 4], [10, 25, 40])
OUTCOMES = []
KW = dict(trials=6, sampler=gaussian, chunk_size=3, progress=False, pilot=False)


def _run(out, seed=3):
    return run_sweep(CELLS, base_seed=seed, out_dir=out, **KW).drop(columns="time")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    ref = tmp_path_factory.mktemp("ref")
    table = _run(ref)
    foreign = tmp_path_factory.mktemp("foreign")
    _run(foreign, seed=4)                      # same grid, another seed: another spec
    return ref, table, foreign


def _damage(rng, parts, foreign_parts):
    """Apply 1–3 random kinds of damage; return the kinds and whether a foreign part went in."""
    files = sorted(parts.glob("chunk_*.csv"))
    kinds, foreign = [], False
    for _ in range(rng.integers(1, 4)):
        kind = rng.choice(["truncate_bytes", "truncate_lines", "empty", "garbage", "swap",
                           "duplicate", "delete", "edit_value", "foreign", "drop_header"])
        f, g = rng.choice(files, 2, replace=False)
        if not f.exists() or not g.exists():
            continue
        data = f.read_bytes()
        if kind == "truncate_bytes":
            f.write_bytes(data[:rng.integers(0, len(data))])
        elif kind == "truncate_lines":
            lines = data.splitlines(keepends=True)
            f.write_bytes(b"".join(lines[:rng.integers(1, len(lines))]))
        elif kind == "empty":
            f.write_bytes(b"")
        elif kind == "garbage":
            f.write_bytes(rng.integers(0, 256, rng.integers(1, 400)).astype(np.uint8).tobytes())
        elif kind == "swap":
            other = g.read_bytes()
            f.write_bytes(other)
            g.write_bytes(data)
        elif kind == "duplicate":
            g.write_bytes(data)
        elif kind == "delete":
            f.unlink()
        elif kind == "edit_value":       # a plausible-looking edit of one number in the rows
            text = data.decode()
            head, body = text.split("\n", 1)
            body = re.sub(r"(\d)\.(\d)", r"\g<2>.\g<1>", body, count=1)
            f.write_text(head + "\n" + body)
        elif kind == "drop_header":
            f.write_bytes(data.split(b"\n", 1)[1])
        elif kind == "foreign":
            shutil.copy(foreign_parts / f.name, f)
            foreign = True
        kinds.append(str(kind))
    return kinds, foreign


@pytest.mark.parametrize("seed", range(60))
def test_damaged_parts_never_change_the_table(finished, tmp_path, seed):
    ref, table, foreign_dir = finished
    out = tmp_path / "run"
    shutil.copytree(ref, out)
    (out / "trials.csv").unlink()
    rng = np.random.default_rng(seed)
    kinds, foreign = _damage(rng, out / "parts", foreign_dir / "parts")
    try:
        again = _run(out)
    except ValueError as exc:
        # the only acceptable refusal: a part of another run, named
        assert foreign, (kinds, exc)
        assert re.search(r"chunk_\d{6}\.csv was written by a run with a different "
                         r"configuration", str(exc)), exc
        OUTCOMES.append("refused")
        return
    OUTCOMES.append("repaired")
    pd.testing.assert_frame_equal(again, table)
    # the damaged parts were repaired: a second rerun reads every part back unchanged
    pd.testing.assert_frame_equal(_run(out), table)


def test_the_fuzz_exercised_both_outcomes():
    """(runs after the 60 cases) both repairs and refusals happened, so neither path is
    untested."""
    assert OUTCOMES.count("repaired") >= 20 and OUTCOMES.count("refused") >= 5, OUTCOMES
