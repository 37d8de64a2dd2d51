"""A solver is a value (issue 30, item 1): configured and checked once, then passed through
prune_layer, the schemes, a sweep, the estimator and a grid search; every older spelling
(a name with options, a {name, options} mapping) meets it in ``as_solver``."""

import json
import warnings

import numpy as np
import pytest
from conftest import random_layer

import nettrim
from nettrim.solvers import ADMM, CVXPY, LP, Auto, as_solver, solver_list


def test_options_are_checked_when_the_solver_is_made_and_never_again(monkeypatch):
    from nettrim.solvers import admm

    with pytest.raises(ValueError, match=r"unknown option\(s\) \['gap'\] for solver 'admm'"):
        ADMM(gap=1e-3)
    with pytest.raises(ValueError, match="gap_tol must be"):
        ADMM(gap_tol=-1.0)
    with pytest.raises(ValueError, match=r"unknown HiGHS option\(s\) \['tol'\]"):
        LP(options={"tol": 1})
    calls = []
    original = admm.check_options
    monkeypatch.setattr(admm, "check_options", lambda **o: calls.append(o) or original(**o))
    solver = ADMM(max_iter=4000)
    X, _, Y = random_layer(0)
    for _ in range(3):
        assert nettrim.prune_layer(X, Y, 0.1 * np.linalg.norm(Y), solver=solver).converged
    assert calls == [{"max_iter": 4000}]            # once, at construction
    solver.set_params(gap_tol=1e-4)                 # a change is checked like a new solver
    assert calls[-1] == {"max_iter": 4000, "gap_tol": 1e-4}
    with pytest.raises(ValueError, match="max_iter must be"):
        solver.set_params(max_iter=0)
    assert solver.get_params()["max_iter"] == 4000  # a refused change leaves it as it was


def test_every_spelling_gives_the_same_value():
    value = ADMM(max_iter=50, gap_tol=1e-4)
    assert as_solver("admm", {"max_iter": 50, "gap_tol": 1e-4}) == value
    assert as_solver({"name": "admm", "options": {"gap_tol": 1e-4, "max_iter": 50}}) == value
    assert as_solver(ADMM, {"max_iter": 50, "gap_tol": 1e-4}) == value
    assert as_solver(value) is value
    assert value != ADMM(max_iter=51, gap_tol=1e-4) and value != LP()
    # a run's identity holds every parameter, so spelling a default out changes nothing
    assert value.spec() == ("admm", {**ADMM().get_params(), "max_iter": 50, "gap_tol": 1e-4})
    assert ADMM(gap_tol=1e-3) == ADMM() and ADMM(gap_tol=1e-3).spec() == ADMM().spec()
    assert repr(value) == "ADMM(gap_tol=0.0001, max_iter=50)" and repr(ADMM(rho=3.0)) == "ADMM()"
    # defaults are held once, in the solver function's signature
    assert ADMM().get_params()["gap_tol"] == 1e-3 and ADMM().options == {}
    assert CVXPY().get_params() == {"cvx_solver": "CLARABEL", "verbose": False}
    with pytest.raises(TypeError, match="given with the configured solver ADMM"):
        as_solver(value, {"max_iter": 3})
    with pytest.raises(TypeError, match="solver must be a solver name"):
        as_solver(3)
    with pytest.raises(ValueError, match="takes the keys 'name' and 'options'"):
        as_solver({"name": "admm", "max_iter": 3})
    with pytest.raises(ValueError, match="distinct names"):
        solver_list([ADMM(), ("admm", {"max_iter": 3})])


def test_auto_takes_both_spellings_and_configures_both_halves():
    legacy = as_solver("auto", {"max_iter": 3, "lp_options": {"presolve": False}})
    value = Auto(lp=LP(options={"presolve": False}), admm=ADMM(max_iter=3))
    assert legacy == value and legacy.options == {"max_iter": 3,
                                                  "lp_options": {"presolve": False}}
    assert legacy.spec() == ("auto", {"lp": LP(options={"presolve": False}).spec(),
                                      "admm": ADMM(max_iter=3).spec()})
    assert repr(value) == "Auto(lp=LP(options={'presolve': False}), admm=ADMM(max_iter=3))"
    X, _, Y = random_layer(1)
    assert nettrim.prune_layer(X, Y, 0.0, solver=value).info["solver"] == "lp"
    res = nettrim.prune_layer(X, Y, 0.1 * np.linalg.norm(Y), solver=value)
    assert res.info["solver"] == "admm" and res.status == "max_iter"   # its ADMM's options
    value.set_params(admm__max_iter=20000)
    assert nettrim.prune_layer(X, Y, 0.1 * np.linalg.norm(Y), solver=value).converged
    with pytest.raises(TypeError, match="either as admm=ADMM"):
        Auto(admm=ADMM(), max_iter=3)
    with pytest.raises(TypeError, match="admm must be a ADMM"):
        Auto(admm=LP())


def test_a_solver_value_runs_a_scheme_as_its_name_does():
    rng = np.random.default_rng(0)
    net = nettrim.Network([rng.standard_normal((8, 6)), rng.standard_normal((6, 3))],
                          [np.zeros(6), np.zeros(3)])
    X = rng.standard_normal((8, 60))
    by_name = nettrim.prune_parallel(net, X, gain=0.1, solver="admm", max_iter=20)
    by_value = nettrim.prune_parallel(net, X, gain=0.1, solver=ADMM(max_iter=20))
    assert list(by_value.report["status"]) == list(by_name.report["status"])
    for a, b in zip(by_value.network.weights, by_name.network.weights):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="given with the configured solver"):
        nettrim.prune_cascade(net, X, gain=0.1, solver=ADMM(), max_iter=20)


def test_a_sweep_of_values_is_the_sweep_of_names_and_resumes_it(tmp_path):
    from nettrim.suite.sampling import gaussian
    from nettrim.suite.sweep import expand_grid, run_sweep

    cells = expand_grid([20], [2], [12, 30])
    kw = dict(trials=3, base_seed=4, sampler=gaussian, chunk_size=2, progress=False,
              pilot=False)
    by_name = run_sweep(cells, solvers=[("lp", {}), ("admm", {"max_iter": 500})],
                        out_dir=tmp_path, **kw)
    parts = sorted((tmp_path / "parts").glob("chunk_*.csv"))
    stamps = [p.stat().st_mtime_ns for p in parts]
    by_value = run_sweep(cells, solvers=[LP(), ADMM(max_iter=500)], out_dir=tmp_path, **kw)
    # the same identity: every part was read back, none recomputed
    assert [p.stat().st_mtime_ns for p in parts] == stamps
    fresh = run_sweep(cells, solvers=[LP(), ADMM(max_iter=500)], **kw)
    cols = ["N", "s", "P", "trial", "solver", "status", "rel_error"]
    for table in (by_value, fresh):
        pd_equal = table[cols].reset_index(drop=True).equals(by_name[cols].reset_index(drop=True))
        assert pd_equal


def test_the_estimator_exposes_the_solver_to_a_grid_search():
    from sklearn.base import clone
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X, y = X[:300] / 16.0, y[:300]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=200, random_state=0).fit(X, y)
    solver = ADMM(gap_tol=1e-3)
    est = nettrim.NetTrim(mlp, gain=0.1, solver=solver)
    assert est.get_params()["solver__gap_tol"] == 1e-3
    copy = clone(est)
    assert copy.solver == solver and copy.solver is not solver
    gs = GridSearchCV(est, {"solver__max_iter": [1, 20000]}, cv=2,
                      scoring=lambda e, X_, y_: float(e.converged_)).fit(X, y)
    # max_iter = 1 stops every layer unconverged, 20000 certifies them: the grid reached ADMM
    assert list(gs.cv_results_["mean_test_score"]) == [0.0, 1.0]
    assert gs.best_estimator_.solver.get_params()["max_iter"] == 20000
    assert solver.get_params()["max_iter"] == 20000 and solver.options == {"gap_tol": 1e-3}
    with pytest.raises(TypeError, match="given with the configured solver"):
        nettrim.NetTrim(mlp, solver=solver, solver_options={"max_iter": 5}).fit(X)


def test_config_solvers_become_values_with_errors_naming_the_key():
    from nettrim.suite.sweep_config import check_solver_config

    [solver] = check_solver_config({"solver": {"name": "admm", "options": {"max_iter": 9}}})
    assert solver == ADMM(max_iter=9)
    with pytest.raises(ValueError, match=r"solver\.options: unknown option"):
        check_solver_config({"solver": {"name": "admm", "options": {"iters": 9}}})
    with pytest.raises(ValueError, match=r"solvers\.bad\.name: unknown solver 'bad'"):
        check_solver_config({"solvers": {"bad": {"name": "bad"}}})
    assert json.dumps(solver.spec()) == json.dumps(("admm", {**ADMM().get_params(),
                                                             "max_iter": 9}))


def test_schemes_and_baselines_are_registries_and_prune_network_owns_the_cascade_keywords():
    from nettrim.baselines import BASELINES
    from nettrim.schemes import CASCADE_ONLY, SCHEMES, prune_network

    assert list(SCHEMES) == ["cascade", "parallel"] and "parallel" in SCHEMES
    assert list(BASELINES) == ["magnitude", "obs", "sparsegpt", "wanda"]
    with pytest.raises(ValueError, match="unknown baseline 'owl'; available: magnitude, obs"):
        BASELINES["owl"]
    rng = np.random.default_rng(2)
    net = nettrim.Network([rng.standard_normal((8, 6)), rng.standard_normal((6, 3))],
                          [np.zeros(6), np.zeros(3)])
    X = rng.standard_normal((8, 60))
    cascade_kw = {"gamma": 1.5, "kappa": 0.9, "cap": "relaxed"}
    assert set(cascade_kw) <= set(CASCADE_ONLY)
    # the parallel scheme ignores the cascade's keywords; the cascade uses them
    para = prune_network(net, X, "parallel", gain=0.1, **cascade_kw)
    direct = nettrim.prune_parallel(net, X, gain=0.1)
    for a, b in zip(para.network.weights, direct.network.weights):
        np.testing.assert_array_equal(a, b)
    casc = prune_network(net, X, "cascade", gain=0.1, **cascade_kw)
    plain = prune_network(net, X, "cascade", gain=0.1)
    assert casc.report["epsilon"].iloc[1] > plain.report["epsilon"].iloc[1]   # γ = 1.5 > 1.1
    with pytest.raises(ValueError, match="unknown scheme 'serial'"):
        prune_network(net, X, "serial")
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['gian'\] for solver 'admm'"):
        prune_network(net, X, "parallel", gian=0.1)
