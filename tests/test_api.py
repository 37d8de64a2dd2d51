"""The public vocabulary (issue 14, item 4): one verb, *prune*; a *report* is always a
network's per-layer table."""

import numpy as np
import pytest

import nettrim


@pytest.mark.parametrize("old", ["PruneResult", "TrimResult", "Report", "parallel_trim",
                                 "cascade_trim", "trim_to_discrepancy"])
def test_the_first_drafts_names_are_gone(old):
    """0.1.0 was never released: its first names are not kept as aliases (issue 30)."""
    with pytest.raises(AttributeError, match=f"no attribute {old!r}"):
        getattr(nettrim, old)


def test_layer_evaluation():
    rng = np.random.default_rng(0)
    X, W = rng.standard_normal((20, 100)), rng.standard_normal((20, 3))
    Y = np.maximum(W.T @ X, 0)
    res = nettrim.prune_layer(X, Y, 0.05 * np.linalg.norm(Y))
    assert isinstance(res, nettrim.LayerResult) and isinstance(res.evaluation, nettrim.Evaluation)
    assert res.evaluation == res.problem.evaluate(res.W)
    assert not hasattr(res, "report") and not hasattr(res.problem, "report")


def test_a_report_is_always_the_per_layer_table():
    rng = np.random.default_rng(1)
    net = nettrim.Network([rng.standard_normal((6, 5)), rng.standard_normal((5, 2))],
                          [np.zeros(5), np.zeros(2)])
    X = rng.standard_normal((6, 80))
    for prune in (nettrim.prune_parallel, nettrim.prune_cascade):
        res = prune(net, X, gain=0.05)
        assert isinstance(res, nettrim.NetworkResult)
        assert list(res.report["layer"]) == [1, 2]   # one row per layer
    with pytest.raises(AttributeError, match="no attribute 'trim'"):
        nettrim.trim
