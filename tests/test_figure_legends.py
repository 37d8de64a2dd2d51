"""Committed figures, redrawn from their committed tables, keep their legends off the data
(issue 33: a legend covered the design overlay's points); the Monte Carlo studies' write-up
tables come out as committed."""

import shutil
from pathlib import Path

import pytest
from experiment_scripts import load

from nettrim.suite import plots
from nettrim.suite.plots.base import hidden_by_legend

ROOT = Path(__file__).resolve().parents[1]
RUNS = {"phase_transition/gaussian_lp_default": "phase_transition",
        "phase_transition/shifted_gaussian_lp_design": "phase_transition",
        "deep_recovery/gaussian_default": "deep_recovery",
        "prune_network/spirals": "prune_network"}
#: Monte Carlo tables whose figures are drawn from the table alone (experiments/redraw.py)
TABLES = {"phase_transition/law_shapes": "law_shapes",
          "phase_transition/per_vector": "per_vector",
          "phase_transition/finite_size": "finite_size",
          "phase_transition/finite_size_demo": "finite_size",
          "phase_transition/scale": "finite_size"}


def test_hidden_by_legend_counts_covered_markers():
    plt = plots.base.pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], "o", label="data")
    ax.set_xlim(-0.1, 1.1)
    ax.set_ylim(-0.1, 1.1)
    ax.legend(loc="upper right", fontsize=30, markerscale=3)  # over the point at (1, 1)
    assert hidden_by_legend(fig) == {"axes 0 (untitled)": 1}
    ax.legend(loc="upper left")                                # a free corner
    assert hidden_by_legend(fig) == {}
    plt.close(fig)


@pytest.mark.parametrize("stem", sorted(RUNS) + sorted(TABLES))
def test_committed_figures_keep_their_legends_off_the_data(stem, tmp_path, monkeypatch):
    source = ROOT / "results" / stem
    if stem in RUNS:
        target = tmp_path / stem
        shutil.copytree(source, target)
    else:
        target = tmp_path / Path(stem).name
        shutil.copy(source.with_suffix(".csv"), target.with_suffix(".csv"))
    covered, drawn = {}, []

    def checked_save(fig, path, formats=("png", "pdf")):
        # hidden_by_legend renders the figure (legends are placed then); writing it adds
        # nothing here: test_reference_runs redraws committed runs to files
        if hidden := hidden_by_legend(fig):
            covered[Path(path).name] = hidden
        drawn.append(Path(path).name)
        plots.base.pyplot().close(fig)
        return []

    monkeypatch.setattr(plots, "save", checked_save)
    runs = [ROOT / "results" / r for r in load("redraw").TABLE_RUNS.get(stem, [])]
    load(RUNS.get(stem) or TABLES[stem]).draw(target, *([runs] if runs else []))
    assert drawn, "nothing drawn"
    assert not covered, f"legends over data markers: {covered}"
    if stem in TABLES and target.with_suffix(".md").is_file():
        # the write-up table beside it is what the committed table (and runs) give
        assert target.with_suffix(".md").read_text() == source.with_suffix(".md").read_text()


def test_redraw_reads_the_scale_table_from_the_runs_make_scale_made_it_from():
    """experiments/redraw.py's TABLE_RUNS against the Makefile's SCALE_RUNS."""
    import re

    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    listed = re.search(r"^SCALE_RUNS := (.*)$", text, re.M).group(1).split()
    assert listed == [f"results/{r}" for r in
                      load("redraw").TABLE_RUNS["phase_transition/scale"]]
