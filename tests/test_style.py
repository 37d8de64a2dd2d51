"""House style: ruff (pycodestyle, pyflakes, import order; config in pyproject.toml) is clean."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    res = subprocess.run([sys.executable, "-m", "ruff", "check", "nettrim", "experiments",
                          "tests"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_no_private_name_crosses_a_module():
    """No module of the library or the experiments imports another module's private name
    (``from m import _x``): what is shared is public, what is private stays home (issue 30).
    Private *modules* such as ``nettrim._validation`` hold public helpers and may be imported
    inside the library, not by an experiment."""
    import ast

    crossings = []
    for path in [*(ROOT / "nettrim").rglob("*.py"), *(ROOT / "experiments").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = ("." * node.level) + (node.module or "")
            names = [a.name for a in node.names if a.name.startswith("_")
                     and not a.name.startswith("__")]
            private_module = any(part.startswith("_") and not part.startswith("__")
                                 for part in (node.module or "").split("."))
            if names or (path.parent.name == "experiments" and private_module):
                crossings.append(f"{path.relative_to(ROOT)}: from {module} import "
                                 f"{', '.join(a.name for a in node.names)}")
    assert not crossings, "\n".join(crossings)
