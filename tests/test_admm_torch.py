"""The PyTorch ADMM against the numpy one on CPU: the same iterates, the same stop."""

import numpy as np
import pytest
from test_solvers import CASES, _problem

import nettrim
from nettrim import solve

pytest.importorskip("torch")


@pytest.mark.parametrize("shape", [(15, 60), (40, 25)], ids=["primal", "kernel"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "pn%d-b%d-V%d-lin%d-d%.1f-g%.2f" % c)
def test_torch_admm_takes_the_numpy_iterates_in_float64(case, shape):
    # the numpy solver in float64 without its pattern solve is the same algorithm
    N, P = shape
    problem = _problem(3, *case, N=N, P=P)
    ours = solve(problem, "admm", precision="double", polish="never")
    torch_run = solve(problem, "admm_torch")
    assert torch_run.status == ours.status == "converged"
    assert torch_run.info["iterations"] == ours.info["iterations"]
    assert torch_run.info["rho"] == pytest.approx(ours.info["rho"], rel=1e-6)
    np.testing.assert_allclose(torch_run.W, ours.W, atol=1e-9 * np.abs(ours.W).max())


def test_torch_admm_in_float32_reaches_the_optimum():
    problem = _problem(1, *CASES[2])
    run, ref = solve(problem, "admm_torch", dtype="float32"), solve(problem, "cvxpy")
    assert run.converged and run.evaluation.feasible and run.info["dtype"] == "float32"
    assert run.evaluation.l1 == pytest.approx(ref.evaluation.l1, rel=1e-3)


def test_torch_admm_refuses_what_it_does_not_do_and_auto_never_picks_it():
    problem = _problem(0, *CASES[0])
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['polish'\] for solver"):
        solve(problem, "admm_torch", polish="always")
    with pytest.raises(ValueError, match="dtype must be one of"):
        solve(problem, "admm_torch", dtype="float16")
    with pytest.raises(ValueError, match="device must be a torch device this machine has"):
        solve(problem, "admm_torch", device="no-such-device")
    with pytest.raises(ValueError, match="gap_tol"):
        solve(problem, "admm_torch", gap_tol=0.9)
    assert "admm_torch" in nettrim.available_solvers()
    assert nettrim.solvers.choose(problem) != "admm_torch"
