"""The public vocabulary (issue 14, item 4): one verb, *prune*; the first release's names are
deprecated aliases that warn and return the new objects."""

import numpy as np
import pytest

import nettrim


@pytest.mark.parametrize("old,new", sorted(nettrim._DEPRECATED.items()))
def test_old_names_warn_and_alias_the_new_ones(old, new):
    with pytest.warns(DeprecationWarning, match=f"nettrim.{old} is deprecated; use nettrim.{new}"):
        obj = getattr(nettrim, old)
    assert obj is getattr(nettrim, new)
    assert old not in nettrim.__all__ and new in nettrim.__all__


def test_layer_evaluation_and_its_old_names():
    rng = np.random.default_rng(0)
    X, W = rng.standard_normal((20, 100)), rng.standard_normal((20, 3))
    Y = np.maximum(W.T @ X, 0)
    res = nettrim.prune_layer(X, Y, 0.05 * np.linalg.norm(Y))
    assert isinstance(res, nettrim.LayerResult) and isinstance(res.evaluation, nettrim.Evaluation)
    with pytest.warns(DeprecationWarning, match="use LayerResult.evaluation"):
        assert res.report is res.evaluation
    with pytest.warns(DeprecationWarning, match="use LayerProblem.evaluate"):
        old = res.problem.report(res.W)
    assert old == res.problem.evaluate(res.W)


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
