"""What every figure shares: matplotlib imported on first use, plain log ticks, and
:func:`save`, which writes files that depend on the figure alone."""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib.pyplot on the Agg backend, imported on first use: a command that refuses its
    config in one line should not first spend the second matplotlib takes to import."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a compute node
    import matplotlib.pyplot as plt

    return plt


def ticker():
    """matplotlib.ticker, imported on first use."""
    from matplotlib import ticker

    return ticker


#: Metadata that would differ between two drawings of the same figure, removed.
STABLE_METADATA = {"pdf": {"CreationDate": None}, "png": {"Software": None}}


def save(fig, path, formats=("png", "pdf")) -> list[Path]:
    """Write ``fig`` as ``path.<fmt>`` for each format; return the paths. The files depend on
    the figure alone (no creation date), so redrawing an unchanged figure leaves git clean."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        p = path.with_suffix(f".{fmt}")
        meta = STABLE_METADATA.get(fmt)
        fig.savefig(p, dpi=150, bbox_inches="tight", **({"metadata": meta} if meta else {}))
        out.append(p)
    pyplot().close(fig)
    return out


def plain_log(axis, fmt="%g"):
    """Log-scale tick labels as plain numbers, major ticks only (minor labels collide)."""
    axis.set_minor_formatter(ticker().NullFormatter())
    axis.set_major_formatter(ticker().FormatStrFormatter(fmt))


__all__ = ["pyplot", "ticker", "save", "plain_log", "STABLE_METADATA"]
