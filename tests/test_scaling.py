"""The scaling table: its runs on small layers, its exponents on known power laws."""

import numpy as np
import pandas as pd
import pytest

from nettrim.suite import scaling


def test_synthetic_cases_grow_one_size_at_a_time_and_cut_p_from_one_layer():
    cases = list(scaling.synthetic_cases({"N": 12, "M": 3, "P": 80},
                                         {"P": [80, 40], "M": [2, 3]}, gain=0.1))
    assert [(s, a, p.N, p.M, p.P) for s, a, p, _ in cases] == [
        ("trained", "P", 13, 3, 40), ("trained", "P", 13, 3, 80),
        ("trained", "M", 13, 2, 80), ("trained", "M", 13, 3, 80)]
    small, large = cases[0][2], cases[1][2]
    # along P only P changes: the first 40 samples of the 80-sample layer, ε on them
    np.testing.assert_array_equal(small.X, large.X[:, :40])
    assert small.epsilon == pytest.approx(0.1 * np.linalg.norm(large.Y[:, :40]))
    with pytest.raises(ValueError, match="axes must be some of"):
        list(scaling.synthetic_cases({"N": 12, "M": 3, "P": 80}, {"Q": [1]}))
    with pytest.raises(ValueError, match="base must give N, M and P"):
        list(scaling.synthetic_cases({"N": 12, "P": 80}, {"P": [40]}))


def test_scaling_runs_solve_and_prune_to_the_same_count():
    cases = scaling.synthetic_cases({"N": 12, "M": 3, "P": 80}, {"P": [40, 80]}, gain=0.1)
    runs = scaling.scaling_runs(cases)
    assert (runs["status"] == "converged").all() and runs["P"].tolist() == [40, 80]
    assert (runs["nnz"] > 0).all() and (runs["sparsegpt_time"] > 0).all()
    assert np.allclose(runs["per_iteration"] * runs["iterations"], runs["time"])
    assert (runs["screened_rows"] == 0).all()        # no row of this layer's X vanishes
    assert runs["obs_time"].isna().all()             # OBS only when asked for
    md = scaling.scaling_summary_markdown(runs)
    assert "| trained | P | 13 (0) | 3 | 40 |" in md
    # two runs (OBS not timed: no OBS column), and a fit row that refuses a slope through two
    # points
    assert md.count("\n| trained | P |") == 3 and "OBS" not in md
    assert "\n| trained | P | 40–80 | – | – | – | – | only 2 sizes |" in md


def test_scaling_runs_time_obs_at_the_same_count_when_asked():
    case = next(scaling.synthetic_cases({"N": 12, "M": 3, "P": 80}, {"P": [80]}, gain=0.1))
    runs = scaling.scaling_runs([case], obs=True)
    assert runs["obs_time"].iat[0] > 0
    md = scaling.scaling_summary_markdown(runs)
    assert f"× | {runs['obs_time'].iat[0]:.2f} |" in md and "| OBS time |" in md


def _power_law(exponent, status=("converged",) * 4):
    P = np.array([1000, 2000, 4000, 8000])
    return pd.DataFrame({"series": "s", "axis": "P", "P": P, "status": list(status),
                         "time": 3e-6 * P**exponent, "iterations": 400 + 0 * P,
                         "per_iteration": 3e-6 * P**exponent / 400,
                         "sparsegpt_time": 1e-4 * P**0.5, "obs_time": 2e-3 * P**0.2})


def test_scaling_exponents_recover_a_power_law_and_refuse_an_unconverged_series():
    fit = scaling.scaling_exponents(_power_law(1.3)).iloc[0]
    assert fit["time"] == pytest.approx(1.3) and fit["per_iteration"] == pytest.approx(1.3)
    assert fit["iterations"] == pytest.approx(0.0, abs=1e-12)
    assert fit["sparsegpt_time"] == pytest.approx(0.5) and fit["note"] == ""
    assert fit["obs_time"] == pytest.approx(0.2)
    # a series whose OBS was not timed (NaN) gets no OBS slope, and the others still fit
    untimed = scaling.scaling_exponents(_power_law(1.3).assign(obs_time=np.nan)).iloc[0]
    assert np.isnan(untimed["obs_time"]) and untimed["time"] == pytest.approx(1.3)
    bad = scaling.scaling_exponents(_power_law(1.3, ("converged",) * 3 + ("max_iter",))).iloc[0]
    assert np.isnan(bad["time"]) and bad["note"] == "1 of 4 runs did not converge"
