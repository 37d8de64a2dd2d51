"""From a trial table to a per-(N, s) summary: measured P50 against the theory's counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .theory import (
    crossing,
    fit_p50,
    gordon_error_bound,
    nips_theorem3,
    predicted_p50,
    s_log_n_over_s,
    statistical_dimension,
)


def success_rates(trials: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Per cell (``by`` + N, s, P): trials, decided trials, successes and the success rate among
    decided trials (unconverged solves are counted apart, never as failures)."""
    keys = list(by or []) + ["N", "s", "P"]
    decided = trials["success"].notna()
    g = trials.assign(decided=decided, ok=trials["success"].fillna(False).astype(bool))
    out = g.groupby(keys, sort=True).agg(trials=("trial", "size"), decided=("decided", "sum"),
                                         successes=("ok", "sum")).reset_index()
    out["undecided"] = out["trials"] - out["decided"]
    out["rate"] = out["successes"] / out["decided"].where(out["decided"] > 0)
    return out


def _program_size(trials: pd.DataFrame, N: int, s: int) -> tuple[int, int]:
    """(s, N) of the program the trials solved: with a planted bias (column ``planted.bias``)
    the bias row is one more weight, and one more nonzero unless ``planted.bias_value`` is 0."""
    if "planted.bias" not in trials or not bool(trials["planted.bias"].iat[0]):
        return s, N
    value = trials["planted.bias_value"].iat[0] if "planted.bias_value" in trials else np.nan
    return s + int(value != 0), N + 1


def relative_P(trials: pd.DataFrame) -> pd.Series:
    """P / (δ(s,N)/q̂) per trial, with q̂ the mean active fraction of the trial's (N, s) (and
    (s, N) those of the program solved, :func:`_program_size`)."""
    q_hat = trials.groupby(["N", "s"])["active_fraction"].transform("mean")
    size = {(n, s): _program_size(trials, int(n), int(s))
            for n, s in trials[["N", "s"]].drop_duplicates().itertuples(index=False)}
    pred = [predicted_p50(*size[n, s], q) if q > 0 else np.nan
            for n, s, q in zip(trials["N"], trials["s"], q_hat)]
    return trials["P"] / np.asarray(pred)


def summarize(trials: pd.DataFrame, by: list[str] | None = None, *, level: float = 0.95,
              mu: float = 2.0) -> pd.DataFrame:
    """One row per (``by`` + N, s): the measured P50 with its CI, the prediction δ(s,N)/q̂ with
    q̂ the mean measured active fraction, their ratio, P50/(s·log(N/s)), and NIPS Theorem 3's
    count (µ = ``mu``). With a planted bias the prediction is that of the program solved: the
    bias row is one more weight, and one more nonzero unless it was planted at 0.

    Columns: trials, undecided, q_hat, delta, p50_pred, p50, p50_lo, p50_hi, fit, ratio,
    ratio_lo, ratio_hi, s_log, p50_over_slog, thm3.
    """
    keys = list(by or []) + ["N", "s"]
    rows = []
    for key, g in trials.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        rec = dict(zip(keys, key))
        N, s = int(rec["N"]), int(rec["s"])
        decided = g[g["success"].notna()]
        fit = (fit_p50(decided["P"], decided["success"].astype(bool), level)
               if len(decided) else None)
        q_hat = float(g["active_fraction"].mean())
        s_eff, N_eff = _program_size(g, N, s)
        delta = statistical_dimension(s_eff, N_eff)
        pred = predicted_p50(s_eff, N_eff, q_hat) if q_hat > 0 else np.nan
        slog = float(s_log_n_over_s(s, N))
        p50 = fit.p50 if fit else np.nan
        rec.update(
            trials=len(g), undecided=int(g["success"].isna().sum()), q_hat=q_hat, delta=delta,
            p50_pred=pred, p50=p50, p50_lo=fit.lo if fit else np.nan,
            p50_hi=fit.hi if fit else np.nan, fit=fit.method if fit else "no_decided_trials",
            ratio=p50 / pred, ratio_lo=(fit.lo if fit else np.nan) / pred,
            ratio_hi=(fit.hi if fit else np.nan) / pred, s_log=slog,
            p50_over_slog=p50 / slog if slog > 0 else np.nan,
            thm3=float(nips_theorem3(s, N, mu)),
        )
        rows.append(rec)
    return pd.DataFrame(rows)


def pooled_ratios(table: pd.DataFrame, keys=("ratio_kinematic", "ratio_width"), *,
                  min_s: int = 5, level: float = 0.95) -> pd.DataFrame:
    """Per (sampling, N), over the cells with s ≥ ``min_s`` and a ratio: how many, their
    range, and the inverse-variance weighted mean of each ratio (in log, each cell's standard
    error from its interval) with its interval — what a per-cell interval too wide to
    settle a 2% or 10% question says when the cells of one N are taken together.

    Columns: sampling, N, then for each key ``<key>_cells``, ``<key>_min``, ``<key>_max``,
    ``<key>_pooled``, ``<key>_pooled_lo``, ``<key>_pooled_hi``.
    """
    from scipy import stats

    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for (law, N), g in table[table["s"] >= min_s].groupby(["sampling", "N"], sort=True):
        rec = {"sampling": law, "N": int(N)}
        for key in keys:
            c = g[g[key].notna() & (g[key + "_lo"] > 0)]
            se = (np.log(c[key + "_hi"]) - np.log(c[key + "_lo"])) / (2 * z)
            w = 1 / se**2
            mean = float((w * np.log(c[key])).sum() / w.sum()) if len(c) else np.nan
            half = z / np.sqrt(w.sum()) if len(c) else np.nan
            rec.update({f"{key}_cells": len(c), f"{key}_min": float(c[key].min()),
                        f"{key}_max": float(c[key].max()), f"{key}_pooled": np.exp(mean),
                        f"{key}_pooled_lo": np.exp(mean - half),
                        f"{key}_pooled_hi": np.exp(mean + half)})
        rows.append(rec)
    return pd.DataFrame(rows)


def agreement(trials: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per solver, how its decisions and answers compare with ``reference`` on the same trials.

    Columns: solver, trials, undecided, both_decided, agree (success decisions equal, among
    trials both decided), disagree, agree_fraction, median/max ``diff_vs_<reference>``
    (‖ŵ − ŵ_ref‖/‖w*‖), median time [s], median iterations.
    """
    keys = ["N", "s", "P", "trial"]
    ref = trials[trials["solver"] == reference].set_index(keys)["success"]
    if ref.empty:
        raise ValueError(f"reference solver {reference!r} is not in the table; solvers: "
                         f"{sorted(trials['solver'].unique())}")
    rows = []
    for name, g in trials.groupby("solver", sort=False):
        mine = g.set_index(keys)["success"]
        both = mine.notna() & ref.reindex(mine.index).notna()
        same = (mine[both].astype(bool) == ref.reindex(mine.index)[both].astype(bool))
        diff = g[f"diff_vs_{reference}"]
        rows.append({"solver": name, "trials": len(g), "undecided": int(mine.isna().sum()),
                     "both_decided": int(both.sum()), "agree": int(same.sum()),
                     "disagree": int((~same).sum()),
                     "agree_fraction": float(same.mean()) if both.any() else np.nan,
                     f"median_diff_vs_{reference}": float(diff.median()),
                     f"max_diff_vs_{reference}": float(diff.max()),
                     "median_time": float(g["time"].median()),
                     "median_iterations": float(g["iterations"].median())})
    return pd.DataFrame(rows)


def noisy_recovery(trials: pd.DataFrame) -> pd.DataFrame:
    """Per (solver, N, s, P) of a noisy sweep (:func:`nettrim.suite.trial.run_trial` with
    ``noise``): the error against ε and against the Gordon bound.

    Columns: trials, unconverged, P_rel (P / (δ/q̂), mean), feasible (fraction of trials
    with w* feasible), success_rate (‖ŵ − w*‖ ≤ c·ε, converged trials), error_over_epsilon
    (median, and its 90th percentile ``error_over_epsilon_q90``), bound_over_epsilon (median
    over the trials where the bound is finite), error_over_bound (median over the judged
    trials: how tight the bound is), judged (trials where the bound applies:
    converged, w* feasible, above the transition) and held (of those, how many met it);
    the same two for the bound with Gaussian deviation t = √(2 ln 20) — the form that holds
    with probability ≥ 95% under the Gaussian model — as ``judged_95``/``held_95``; and, with
    several solvers on the same trials, ``max_diff_vs_<other>`` (largest ‖ŵ − ŵ_other‖/‖w*‖
    in the cell) and ``max_diff_vs_<other>_success`` (the same over trials this solver
    recovered within c·ε).
    """
    need = {"error_over_epsilon", "bound_over_epsilon", "bound_held", "w_star_feasible"}
    if not need <= set(trials.columns):
        raise ValueError(f"not a noisy sweep: the trials lack {sorted(need - set(trials))}")
    t = trials.assign(P_rel=relative_P(trials), conv=trials["status"] == "converged")
    t95 = np.sqrt(2 * np.log(20))
    delta = {(n, k): statistical_dimension(*_program_size(t, int(n), int(k)))
             for n, k in t[["N", "s"]].drop_duplicates().itertuples(index=False)}
    t["bound_95"] = [gordon_error_bound(e, int(m), delta[n, k], t95) if m else np.inf
                     for e, m, n, k in zip(t["epsilon"], t["active"], t["N"], t["s"])]
    diffs = [c for c in t.columns if c.startswith("diff_vs_")]
    rows = []
    for (solver, N, s, P), g in t.groupby(["solver", "N", "s", "P"], sort=True):
        c = g[g["conv"]]
        finite = c["bound_over_epsilon"].replace(np.inf, np.nan).dropna()
        judged = c["bound_held"].dropna().astype(bool)
        rows.append({
            "solver": solver, "N": N, "s": s, "P": P, "trials": len(g),
            "unconverged": int((~g["conv"]).sum()), "P_rel": float(g["P_rel"].mean()),
            "feasible": float(g["w_star_feasible"].astype(bool).mean()),
            "success_rate": float(c["success"].astype(bool).mean()) if len(c) else np.nan,
            "error_over_epsilon": float(c["error_over_epsilon"].median()),
            "error_over_epsilon_q90": float(c["error_over_epsilon"].quantile(0.9)),
            "bound_over_epsilon": float(finite.median()) if len(finite) else np.inf,
            "error_over_bound": float((c["error"] / c["bound"])[c["bound_held"].notna()]
                                      .median()) if len(judged) else np.nan,
            "judged": len(judged), "held": int(judged.sum()),
            **_held_95(c),
            **{f"max_{d}": float(c[d].max()) for d in diffs if not c[d].eq(0).all()},
            **{f"max_{d}_success": float(c.loc[c["success"].astype(bool), d].max())
               for d in diffs if not c[d].eq(0).all()}})
    return pd.DataFrame(rows)


def _held_95(c: pd.DataFrame) -> dict:
    """Judged and held counts for the t = √(2 ln 20) bound (same conditions as ``held``)."""
    judged = c["w_star_feasible"].astype(bool) & np.isfinite(c["bound_95"])
    return {"judged_95": int(judged.sum()),
            "held_95": int((c.loc[judged, "error"] <= c.loc[judged, "bound_95"]).sum())}


def throughput(trials: pd.DataFrame) -> pd.DataFrame:
    """Per solver and N: solves, solves per second (one core), median time, and how many trials
    ended undecided (not converged). Time includes the trials a solver left undecided."""
    g = trials.groupby(["solver", "N"], sort=False)
    out = g["time"].agg(solves="size", total_time="sum", median_time="median").reset_index()
    out["solves_per_second"] = out["solves"] / out["total_time"]
    out["undecided"] = g["success"].apply(lambda s: int(s.isna().sum())).to_numpy()
    return out


def cost_per_trial(trials: pd.DataFrame) -> pd.DataFrame:
    """Per (solver, N, s): trials, their median and 90th-percentile time (one core; seconds)
    and the total — how a study's cost grows with N and s/N.

    Columns: solver, N, s, s_over_N, trials, median_time, p90_time, total_time.
    """
    g = trials.groupby(["solver", "N", "s"], sort=True)["time"]
    out = g.agg(trials="size", median_time="median", p90_time=lambda t: t.quantile(0.9),
                total_time="sum").reset_index()
    out.insert(3, "s_over_N", out["s"] / out["N"])
    return out


def deep_recovery(trials: pd.DataFrame,
                  design: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summaries of a deep planted-recovery table (:func:`nettrim.suite.trial.run_deep_trial` rows).

    Returns
    -------
    rates : DataFrame
        Per (solver, scheme, layer, P): trials, unconverged (counted apart, not in the rates),
        neuron_rate (mean fraction of live neurons recovered), layer_rate, bound_held (in all
        converged trials), q (mean active fraction), max output_error.
    layers : DataFrame
        Per (solver, scheme, layer): n_in, s, q (over all P), p50_pred = δ(s, n_in + 1)/q (the
        bias row is one more weight), p50 = the P where neuron_rate first reaches ½ (log-P
        interpolation; NaN if it never does or already does at the smallest P), their ratio,
        and whether every trial held its bound. With ``design`` (per layer, from
        :func:`nettrim.suite.cones.planted_network_prediction`) also the design-aware
        prediction ``p50_design`` (with quartiles over neurons) and ``ratio_design`` =
        p50/p50_design; a design estimate that did not converge gives NaN, not a number.
    """
    keys = ["solver", "scheme", "layer"]
    ok = trials["status"] == "converged"
    g = trials.assign(conv=ok, unconverged=~ok)
    conv = g[ok]
    rates = conv.groupby(keys + ["P"]).agg(
        neuron_rate=("neurons_recovered", "mean"), layer_rate=("layer_recovered", "mean"),
        bound_held=("bound_held", "all")).reset_index()
    extra = g.groupby(keys + ["P"]).agg(
        trials=("trial", "size"), unconverged=("unconverged", "sum"),
        q=("active_fraction", "mean"),
        output_error=("output_error", "max")).reset_index()
    rates = extra.merge(rates, on=keys + ["P"], how="left")
    rows = []
    for (key, r), (_, t) in zip(rates.groupby(keys, sort=True), trials.groupby(keys, sort=True)):
        n_in, s = int(t["n_in"].iat[0]), int(t["s"].iat[0])
        q = float(t["active_fraction"].mean())
        pred = predicted_p50(s, n_in + 1, q)
        p50 = crossing(r["P"], r["neuron_rate"])
        rows.append({**dict(zip(keys, key)), "n_in": n_in, "s": s, "q": q, "p50_pred": pred,
                     "p50": p50, "ratio": p50 / pred,
                     "bound_held": bool(r["bound_held"].fillna(True).all()),
                     "unconverged": int(r["unconverged"].sum())})
    layers = pd.DataFrame(rows)
    if design is not None:
        cols = ["p50_design", "p50_design_q1", "p50_design_q3"]
        d = design[["layer", *cols, "design_converged"]].copy()
        d.loc[~d["design_converged"], cols] = np.nan
        layers = layers.merge(d, on="layer", how="left")
        layers["ratio_design"] = layers["p50"] / layers["p50_design"]
    return rates, layers


def kept_at_discrepancy(runs: pd.DataFrame, levels) -> pd.DataFrame:
    """Compare pruning schemes at equal relative discrepancy ε_rd.

    ``runs`` has one row per pruning: H, seed, scheme, discrepancy (ε_rd) and kept (fraction
    of weights kept). For every (H, seed, scheme) the kept fraction is interpolated in
    log–log at each ε_rd in ``levels`` (NaN outside the ε_rd range that seed's gains
    covered), then averaged over seeds (geometric mean over the seeds that cover the level).

    Returns
    -------
    DataFrame
        One row per (H, level): ``kept_<scheme>`` per scheme, ``seeds`` (how many seeds cover
        the level for every scheme) and, with both schemes present, ``cascade_over_parallel``
        (< 1: the cascade keeps fewer weights).
    """
    levels = np.asarray(levels, float)
    rows = []
    for (H, seed, scheme), g in runs.groupby(["H", "seed", "scheme"]):
        g = g.sort_values("discrepancy")
        d = np.log(g["discrepancy"].to_numpy(float))
        k = np.log(g["kept"].to_numpy(float))
        for level in levels:
            inside = d.size and d[0] <= np.log(level) <= d[-1]
            value = float(np.exp(np.interp(np.log(level), d, k))) if inside else np.nan
            rows.append({"H": H, "seed": seed, "scheme": scheme, "level": level, "kept": value})
    wide = pd.DataFrame(rows).pivot_table(index=["H", "level", "seed"], columns="scheme",
                                          values="kept", dropna=False).dropna()
    out = np.exp(np.log(wide).groupby(level=["H", "level"]).mean())
    out.columns = [f"kept_{c}" for c in out.columns]
    out["seeds"] = wide.groupby(level=["H", "level"]).size()
    if {"kept_cascade", "kept_parallel"} <= set(out.columns):
        out["cascade_over_parallel"] = out["kept_cascade"] / out["kept_parallel"]
    return out.reset_index()


def best_within(results: pd.DataFrame, points: float = 0.01) -> pd.DataFrame:
    """Per method, with and without fine-tuning: the most compressed pruning whose test
    accuracy is within ``points`` of the original's (a row per method and tuning; NaN
    compression where no pruning qualifies). ``results`` are :func:`prune_task` rows.

    Parameters
    ----------
    results : DataFrame
    points : float, default 0.01
        Accuracy drop allowed (0.01 = one point).

    Returns
    -------
    DataFrame
        method, fine_tuned, scheme, gain, compression, acc_test, original_acc_test,
        discrepancy, prune_time.
    """
    acc0 = float(results["original_acc_test"].iat[0])
    out = []
    variants = [("acc_test", False)] + ([("acc_test_ft", True)] if "acc_test_ft" in results
                                        else [])
    for method, g in results.groupby("method", sort=False):
        for col, tuned in variants:
            ok = g[g[col] >= acc0 - points]
            row = {"method": method, "fine_tuned": tuned, "original_acc_test": acc0}
            if len(ok):
                r = ok.loc[ok["compression"].idxmax()]
                row.update({"scheme": r["scheme"], "gain": r["gain"],
                            "compression": r["compression"], "acc_test": r[col],
                            "discrepancy": r["discrepancy"], "prune_time": r["prune_time"]})
            else:
                row.update({"scheme": None, "gain": np.nan, "compression": np.nan,
                            "acc_test": np.nan, "discrepancy": np.nan, "prune_time": np.nan})
            out.append(row)
    return pd.DataFrame(out)


def markdown_table(header, rows) -> str:
    """A Markdown (GitHub) table from a header and rows of already formatted cells."""
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


__all__ = ["best_within", "save_table", "markdown_table", "success_rates", "relative_P",
           "summarize", "agreement", "deep_recovery", "noisy_recovery", "throughput",
           "kept_at_discrepancy", "write_study"]


def write_study(table: pd.DataFrame, out, text: str) -> list:
    """OUT.csv (every column) and OUT.md (``text``) of a derived study, its folder made;
    returns the two paths."""
    from pathlib import Path

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out.with_suffix(".csv"), index=False)
    out.with_suffix(".md").write_text(text + "\n")
    return [out.with_suffix(".csv"), out.with_suffix(".md")]


def save_table(table: pd.DataFrame, path, rtol: float = 1e-9) -> bool:
    """Write ``table`` as CSV at ``path`` unless the file there already holds it to round-off
    (same columns and rows; numbers within ``rtol``, everything else equal): a redraw of an
    unchanged result leaves the committed file, and git, as they are. Returns whether it
    wrote."""
    from pathlib import Path

    path = Path(path)
    if path.is_file():
        try:
            old = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            old = None
        if old is not None and _same_table(old, table.reset_index(drop=True), rtol):
            return False
    table.to_csv(path, index=False)
    return True


def _same_table(a: pd.DataFrame, b: pd.DataFrame, rtol: float) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    for col in a.columns:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if x.dtype.kind in "fiu" and y.dtype.kind in "fiu":
            if not np.allclose(x.astype(float), y.astype(float), rtol=rtol, atol=0.0,
                               equal_nan=True):
                return False
        elif list(map(_cell, x)) != list(map(_cell, y)):
            return False
    return True


def _cell(value) -> str:
    """A non-numeric cell as text, with every kind of missing value as "": an empty string
    written to CSV reads back as NaN (and pandas ≥ 3 infers a string column where 2.x kept
    objects)."""
    return "" if pd.isna(value) else str(value)
