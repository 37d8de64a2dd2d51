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


def hidden_by_legend(fig) -> dict[str, int]:
    """Data markers that a legend of ``fig`` covers: {legend: count}, legends covering none
    left out. A marker counts where it is drawn inside its axes (not clipped) and under the
    legend's box; lines without markers (theory curves, bands) do not count.

    Renders ``fig`` once on its canvas to place the legends (``loc="best"`` is decided then).
    """
    import numpy as np
    from matplotlib.collections import PathCollection

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    points = []
    for ax in fig.axes:
        box = ax.get_window_extent(renderer)
        for line in ax.get_lines():
            if line.get_visible() and line.get_marker() not in (None, "None", "", " "):
                points.append((box, ax.transData.transform(line.get_xydata())))
        for coll in ax.collections:
            if isinstance(coll, PathCollection) and coll.get_visible() and len(coll.get_offsets()):
                points.append((box, coll.get_offset_transform().transform(coll.get_offsets())))
    legends = [(f"axes {i} ({ax.get_title() or 'untitled'})", ax.get_legend())
               for i, ax in enumerate(fig.axes)] + [(f"figure legend {i}", leg)
                                                    for i, leg in enumerate(fig.legends)]
    hidden = {}
    for name, legend in legends:
        if legend is None or not legend.get_visible():
            continue
        lb = legend.get_window_extent(renderer)
        n = 0
        for box, xy in points:
            xy = xy[np.isfinite(xy).all(axis=1)]
            inside = ((xy[:, 0] >= box.x0) & (xy[:, 0] <= box.x1) & (xy[:, 1] >= box.y0)
                      & (xy[:, 1] <= box.y1))
            under = ((xy[:, 0] >= lb.x0) & (xy[:, 0] <= lb.x1) & (xy[:, 1] >= lb.y0)
                     & (xy[:, 1] <= lb.y1))
            n += int((inside & under).sum())
        if n:
            hidden[name] = n
    return hidden


def plain_log(axis, fmt="%g"):
    """Log-scale tick labels as plain numbers, major ticks only (minor labels collide)."""
    axis.set_minor_formatter(ticker().NullFormatter())
    axis.set_major_formatter(ticker().FormatStrFormatter(fmt))


__all__ = ["pyplot", "ticker", "save", "plain_log", "hidden_by_legend", "STABLE_METADATA"]
