"""House style: ruff (pycodestyle, pyflakes, import order; config in pyproject.toml) is clean."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "nettrim", "experiments",
                          "tests"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
