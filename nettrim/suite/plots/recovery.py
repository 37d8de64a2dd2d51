"""Figures of the recovery studies: phase diagrams and their collapse onto the prediction,
overlays of several runs, solver agreement, noisy recovery, finite-size tables, deep
recovery. Theory is drawn in lines (solid: δ/q prediction; dashed: fitted C·s·log(N/s)); data
in markers or colour."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..summary import relative_P, success_rates
from ..theory import fit_constant, s_log_n_over_s, statistical_dimension
from ..trial import SUCCESS_TOL
from .base import plain_log, pyplot


def _edges(v):
    """Cell edges around sorted centres v (midpoints; half a step beyond the ends)."""
    v = np.asarray(v, float)
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])



def _undecided_note(trials):
    n = int(trials["success"].isna().sum())
    return f"; {n} undecided (unconverged) trials left out" if n else ""


def _p50_points(ax, x, p50, lo, hi, fit, *, label=None, color=None, marker="o", **kw):
    """Measured P50 points: a proper logistic fit as a filled marker with its 95% CI; a cell
    with no reliable fit (separated, too few trials: no point estimate) as its profile-
    likelihood interval alone, dashed, with an arrow where that interval is open. Returns the
    colour used."""
    x, p50, lo, hi = (np.asarray(v, float) for v in (x, p50, lo, hi))
    good = (np.asarray(fit) == "logistic") & np.isfinite(p50)
    err = lambda m: [np.where(np.isfinite(lo[m]), p50[m] - lo[m], 0.0),  # noqa: E731
                     np.where(np.isfinite(hi[m]), hi[m] - p50[m], 0.0)]
    line = ax.errorbar(x[good], p50[good], yerr=err(good), fmt=marker, color=color,
                       capsize=2, label=label, **kw)
    color = line[0].get_color()
    bounded = ~good & np.isfinite(lo) & np.isfinite(hi)
    if bounded.any():
        ax.vlines(x[bounded], lo[bounded], hi[bounded], colors=color, linestyles="--", lw=1)
    # open on one side: a dashed arrow from the finite end towards the open one
    for end, m, flag in ((lo, ~good & np.isfinite(lo) & ~np.isfinite(hi), "lolims"),
                         (hi, ~good & ~np.isfinite(lo) & np.isfinite(hi), "uplims")):
        if m.any():
            bars = ax.errorbar(x[m], end[m], yerr=0.3 * end[m], fmt="none", color=color,
                               **{flag: True})
            for bar in bars[2]:
                bar.set_linestyle("--")
    return color


def _unreliable_note(summary: pd.DataFrame) -> str:
    if "fit" not in summary:
        return ""
    bad = summary[summary["fit"] != "logistic"]
    if bad.empty:
        return ""
    kinds = ", ".join(f"{n} {k}" for k, n in bad["fit"].value_counts().items())
    return (f"; cells without a reliable logistic fit ({kinds}) have no point: dashed = "
            f"profile-likelihood 95% interval, arrow = open-ended")


def phase_diagram(trials: pd.DataFrame, summary: pd.DataFrame, title: str = "",
                  criterion: str = "exact recovery: ‖ŵ − w*‖ ≤ 1e-3‖w*‖"):
    """Success probability over (s, P) for each N, with the measured 50% points (and CI), the
    prediction δ(s,N)/q̂ and the fitted C·s·log(N/s); ``criterion`` names what success is."""
    Ns = sorted(trials["N"].unique())
    fig, axes = pyplot().subplots(1, len(Ns), figsize=(5.2 * len(Ns), 4.2), squeeze=False)
    rates = success_rates(trials)
    C = fit_constant(summary["s"], summary["N"], summary["p50"])
    mesh = None
    for ax, N in zip(axes[0], Ns):
        r = rates[rates["N"] == N]
        s_vals = np.sort(r["s"].unique())
        s_edges = _edges(s_vals)
        for i, s in enumerate(s_vals):
            col = r[r["s"] == s].sort_values("P")
            P_edges = _edges(col["P"].to_numpy())
            mesh = ax.pcolormesh(s_edges[i:i + 2], P_edges, col["rate"].to_numpy()[:, None],
                                 cmap="viridis", vmin=0, vmax=1, shading="flat")
        sm = summary[summary["N"] == N].sort_values("s")
        s_fine = np.arange(max(1, int(s_vals.min())), int(s_vals.max()) + 1)
        q = float(np.nanmean(sm["q_hat"]))
        ax.plot(s_fine, [statistical_dimension(int(k), int(N)) / q for k in s_fine], "-",
                color="tab:red", lw=2, label=rf"predicted $\delta(s,N)/\hat q$ ($\hat q$={q:.2f})")
        if np.isfinite(C):
            ax.plot(s_fine, C * s_log_n_over_s(s_fine, N), "--", color="white", lw=1.5,
                    label=rf"fit ${C:.2f}\,s\log(N/s)$")
        _p50_points(ax, sm["s"], sm["p50"], sm["p50_lo"], sm["p50_hi"], sm["fit"],
                    color="black", ms=5, label="measured 50% point (95% CI)")
        ax.set_xlabel("sparsity s (nonzeros of $w^*$)")
        ax.set_ylabel("samples P")
        ax.set_title(f"N = {N}" + (f" — {title}" if title else ""))
        ax.legend(loc="best", fontsize=7, framealpha=0.8)
    fig.colorbar(mesh, ax=axes[0].tolist(), label="success probability")
    fig.text(0.01, -0.02, criterion + _undecided_note(trials)
             + _unreliable_note(summary), fontsize=7)
    return fig


def collapse(summary: pd.DataFrame, title: str = ""):
    """Measured P50 against s·log(N/s) (with the fitted line) and against δ/q̂ (with y = x);
    with a design-aware column (``p50_design``, experiment=design) also against the median
    over w* of δ(Σ_w^{1/2}D)/q_w (diamonds; cells where it is infinite — half the w* never
    active — are left out)."""
    fig, (a1, a2) = pyplot().subplots(1, 2, figsize=(10, 4.2))
    sm = summary[summary["p50"].notna()]
    if "p50_design" in sm:
        sm = sm.assign(p50_design=sm["p50_design"].replace(np.inf, np.nan))
    C = fit_constant(sm["s"], sm["N"], sm["p50"])
    for N, g in sm.groupby("N"):
        args = (g["p50"], g["p50_lo"], g["p50_hi"], g["fit"])
        c = _p50_points(a1, g["s_log"], *args, ms=4, label=f"N = {N}")
        _p50_points(a2, g["p50_pred"], *args, ms=4, color=c,
                    label=f"N = {N}: against δ(s, N)/q̂")
        if "p50_design" in g:
            _p50_points(a2, g["p50_design"], *args, marker="D", ms=4, color="C3",
                        label=rf"N = {N}: against median $\delta(\Sigma_w^{{1/2}}D)/q_w$")
    if len(sm):
        x = np.linspace(0, sm["s_log"].max() * 1.05, 50)
        a1.plot(x, C * x, "k--", label=rf"fit $P_{{50}} = {C:.2f}\,s\log(N/s)$")
        top = np.nanmax([sm["p50_pred"].max(), sm["p50"].max(),
                         sm.get("p50_design", sm["p50"]).max()])
        y = np.linspace(0, top * 1.05, 50)
        a2.plot(y, y, "k-", label=r"$P_{50} = \delta/\hat q$")
        a2.fill_between(y, 0.9 * y, 1.1 * y, color="grey", alpha=0.2, label="±10%")
    a1.set_xlabel(r"$s\log(N/s)$")
    a1.set_ylabel(r"measured $P_{50}$ (samples)")
    a2.set_xlabel(r"predicted $\delta(s,N)/\hat q$" + (r" or med $\delta(\Sigma_w^{1/2}D)/q_w$"
                  if "p50_design" in summary else "") + " (samples)")
    a2.set_ylabel(r"measured $P_{50}$ (samples)")
    a1.legend(fontsize=8)
    # beside the panel: where the design-aware points sit far off y = x they fill it
    a2.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    if title:
        fig.suptitle(title)
    note = _unreliable_note(summary).lstrip("; ")
    if note:
        fig.text(0.01, -0.02, note, fontsize=7)
    return fig


def overlay(summaries: dict[str, pd.DataFrame], title: str = ""):
    """Several runs (e.g. the sampling hypotheses of a multirun): measured P50 over the
    prediction δ/q̂ against s, one series per run and N, with 95% CIs and a ±10% band. Cells
    without a reliable fit show their dashed interval alone (runs left out are the caller's
    to log: experiments/figures.py warns)."""
    fig, (a1, a2) = pyplot().subplots(1, 2, figsize=(11, 4.2))
    markers = "osD^vP*X"
    for j, (label, sm) in enumerate(summaries.items()):
        for N, g in sm[sm["p50"].notna()].groupby("N"):
            mk = markers[j % len(markers)]
            c = _p50_points(a1, g["s"] / N, g["ratio"], g["ratio_lo"], g["ratio_hi"], g["fit"],
                            marker=mk, ms=4, label=f"{label}, N = {N}")
            _p50_points(a2, g["s"] / N, g["p50"] / N, g["p50_lo"] / N, g["p50_hi"] / N,
                        g["fit"], marker=mk, ms=4, color=c, label=f"{label}, N = {N}")
    first = next(iter(summaries.values()))
    for i, (N, g) in enumerate(first.groupby("N")):
        a2.plot(g["s"] / N, g["p50_pred"] / N, "k--", lw=1, zorder=5,
                label=r"predicted $\delta(s,N)/\hat q$" if i == 0 else None)
    a2.legend(fontsize=7)
    _ratio_axes(a1, a2, 0.1, "±10% of prediction", r"predicted $\delta/\hat q$")
    a1.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    note = _unreliable_note(pd.concat(list(summaries.values()))).lstrip("; ")
    if note:
        fig.text(0.01, -0.02, note, fontsize=7)
    return fig


def overlay_design(summaries: dict[str, pd.DataFrame], title: str = ""):
    """Runs that carry the design-aware prediction (``p50_design``, experiment=design), one
    series per law. Left: measured P50 over the design-aware prediction median
    δ(Σ_w^{1/2}D)/q_w (filled, with the 95% CI) and over the isotropic δ(s, N)/q̂ (hollow,
    faint), with a ±5% band. Right: measured P50/N against s/N with each law's design-aware
    prediction as a line of its colour and the isotropic one dashed black. Cells where the
    design-aware prediction is infinite (most planted w* never active) have no ratio. The
    legend sits under the axes, off the data."""
    fig, (a1, a2) = pyplot().subplots(1, 2, figsize=(11, 5.2))
    markers = "osD^vP*X"
    for j, (label, sm) in enumerate(summaries.items()):
        mk = markers[j % len(markers)]
        for N, g in sm.groupby("N"):
            g = g.sort_values("s")
            x = g["s"] / N
            design = g["p50_design"].replace(np.inf, np.nan)
            c = _p50_points(a1, x, g["p50"] / design, g["p50_lo"] / design,
                            g["p50_hi"] / design, g["fit"], marker=mk, ms=4,
                            label=f"{label}, N = {N}")
            a1.plot(x, g["ratio"], mk, mfc="none", color=c, ms=4, alpha=0.5)
            _p50_points(a2, x, g["p50"] / N, g["p50_lo"] / N, g["p50_hi"] / N, g["fit"],
                        marker=mk, ms=4, color=c)
            a2.plot(x, design / N, "-", color=c, lw=1)
    first = next(iter(summaries.values()))
    for i, (N, g) in enumerate(first.sort_values("s").groupby("N")):
        a2.plot(g["s"] / N, g["p50_pred"] / N, "k--", lw=1, zorder=5,
                label=r"isotropic $\delta(s,N)/\hat q$" if i == 0 else None)
    a2.plot([], [], "-", color="grey", lw=1, label=r"design-aware med $\delta(\Sigma_w^{1/2}D)/q_w$"
            " (colour of its law)")
    a1.plot([], [], "o", mfc="none", color="grey", alpha=0.5,
            label=r"hollow: over the isotropic $\delta(s,N)/\hat q$")
    _ratio_axes(a1, a2, 0.05, "±5%", "design-aware prediction")
    fig.legend(*_merged_handles(a1, a2), loc="lower center", ncol=3, fontsize=7,
               frameon=False)
    fig.subplots_adjust(bottom=0.3)
    if title:
        fig.suptitle(title)
    return fig


def _ratio_axes(a1, a2, band: float, band_label: str, prediction: str):
    """The overlays' two panels: measured P50 over ``prediction`` with a ±``band`` strip
    (left), and measured P50 / N (right), both against s/N."""
    a1.axhline(1.0, color="k", lw=1)
    a1.axhspan(1 - band, 1 + band, color="grey", alpha=0.2, label=band_label)
    a1.set_ylabel(r"measured $P_{50}$ / " + prediction)
    a2.set_ylabel(r"measured $P_{50}$ / N")
    for ax in (a1, a2):
        ax.set_xlabel("s / N")


def _merged_handles(*axes):
    """The legend entries of several axes, each label once."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    return handles, labels


def _ratio_panels(n: int, per_row: int, width: float):
    """A grid for n panels of measured over predicted P50 (at most ``per_row`` to a row, one
    y axis): each row's first panel labelled, the panels beyond n switched off."""
    cols = min(n, per_row)
    rows = -(-n // cols)
    fig, axes = pyplot().subplots(rows, cols, figsize=(width * cols, 4.2 * rows), squeeze=False,
                                  sharey=True, layout="constrained")
    for row in axes:
        row[0].set_ylabel(r"measured $P_{50}$ / predicted $P_{50}$")
    for ax in axes.flat[n:]:
        ax.set_axis_off()
    return fig, axes


def agreement(trials: pd.DataFrame, pairs: list[tuple[str, str]], title: str = "",
              success_tol: float | None = SUCCESS_TOL):
    """Left: ‖ŵ_a − ŵ_b‖/‖w*‖ per trial for each solver pair, against P/P50_pred (log scale),
    with the exact-recovery ``success_tol`` (None: no such line, e.g. a noisy sweep).
    Right: success rate against P/P50_pred for each solver (same trials, same seeds)."""
    fig, (a1, a2) = pyplot().subplots(1, 2, figsize=(11, 4.2))
    t = trials.assign(P_rel=relative_P(trials))
    floor = 1e-16
    for a, b in pairs:
        g = t[t["solver"] == a]
        a1.scatter(g["P_rel"], np.maximum(g[f"diff_vs_{b}"], floor), s=10, alpha=0.6,
                   label=rf"$\|\hat w_{{\rm {a}}} - \hat w_{{\rm {b}}}\| / \|w^*\|$")
    if success_tol is not None:
        a1.axhline(success_tol, color="k", ls=":", lw=1,
                   label=f"success tolerance {success_tol:g}")
    a1.set_yscale("log")
    a1.set_xlabel(r"$P$ / predicted $P_{50}$")
    a1.set_ylabel(f"relative distance (floored at {floor:g})")
    a1.legend(fontsize=7)
    for name, g in t.groupby("solver", sort=False):
        # P was rounded to integers: bin P/P50 to 0.1 so each grid multiple is one point
        r = g.groupby(np.round(g["P_rel"] * 10) / 10)["success"].mean()
        und = int(g["success"].isna().sum())
        a2.plot(r.index, r.to_numpy(dtype=float), "o-", ms=3,
                label=f"{name}" + (f" ({und} undecided, left out)" if und else ""))
    a2.set_xlabel(r"$P$ / predicted $P_{50}$")
    a2.set_ylabel("success rate")
    a2.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def noisy_recovery(trials: pd.DataFrame, solver: str, c: float, title: str = ""):
    """Noisy recovery with one solver. Left: ‖ŵ − w*‖/ε per trial against P/P50_pred, one
    colour per s, with the Gordon bound 2ε/(a_|Ω| − √δ) over ε (median per cell, dashed) and
    the success level c. Right: the fraction of trials with ‖ŵ − w*‖ ≤ c·ε."""
    fig, (a1, a2) = pyplot().subplots(1, 2, figsize=(11, 4.2))
    t = trials[trials["solver"] == solver]
    t = t.assign(P_rel=relative_P(trials)[t.index])
    conv = t[t["status"] == "converged"]
    for i, (s, g) in enumerate(conv.groupby("s")):
        color = f"C{i}"
        a1.scatter(g["P_rel"], g["error_over_epsilon"], s=8, alpha=0.5, color=color,
                   label=f"s = {s}: measured")
        b = g.replace(np.inf, np.nan).groupby("P")[["P_rel", "bound_over_epsilon"]].median()
        a1.plot(b["P_rel"], b["bound_over_epsilon"], "--", color=color, lw=1.5,
                label=f"s = {s}: Gordon bound")
        r = g.groupby("P")[["P_rel", "success"]].agg(
            {"P_rel": "mean", "success": lambda v: v.astype(bool).mean()})
        a2.plot(r["P_rel"], r["success"], "o-", ms=3, color=color, label=f"s = {s}")
    a1.axhline(c, color="k", ls=":", lw=1, label=f"success level c = {c:g}")
    a1.set_yscale("log")
    a1.set_xlabel(r"$P$ / predicted $P_{50}$ ($\delta(s,N)/\hat q$)")
    a1.set_ylabel(r"$\|\hat w - w^*\|_2 / \varepsilon$")
    a1.legend(fontsize=6, ncol=2)
    a2.set_xlabel(r"$P$ / predicted $P_{50}$ ($\delta(s,N)/\hat q$)")
    a2.set_ylabel(rf"fraction with $\|\hat w - w^*\| \leq {c:g}\,\varepsilon$")
    a2.set_ylim(-0.03, 1.03)
    a2.legend(fontsize=8)
    und = len(t) - len(conv)
    fig.suptitle(f"{solver}" + (f" — {title}" if title else "")
                 + (f" ({und} unconverged, left out)" if und else ""))
    return fig


def finite_size(table: pd.DataFrame, title: str = ""):
    """P50 measured over predicted against s, one panel per N: the isotropic δ(s, N)/q̂ (open
    markers, dashed) and the kinematic-formula prediction through the same estimator (filled,
    with the measured P50's CI), one colour per law; the ±5% band. At most three panels to a
    row; the legend takes a free panel when there is one."""
    Ns = sorted(table["N"].unique())
    fig, axes = _ratio_panels(len(Ns), 3, 5.2)
    for ax, N in zip(axes.flat, Ns):
        t = table[table["N"] == N]
        for i, (law, g) in enumerate(t.groupby("sampling", sort=True)):
            g = g.sort_values("s")
            color = f"C{i}"
            ax.plot(g["s"], g["ratio"], "o--", mfc="none", color=color, lw=0.8, ms=4,
                    label=rf"{law}: / $\delta(s,N)/\hat q$")
            err = np.vstack([g["ratio_kinematic"] - g["ratio_kinematic_lo"],
                             g["ratio_kinematic_hi"] - g["ratio_kinematic"]])
            ax.errorbar(g["s"], g["ratio_kinematic"], yerr=err, fmt="o-", color=color, ms=4,
                        lw=1.2, capsize=2, label=f"{law}: / kinematic formula")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.axhspan(0.95, 1.05, color="grey", alpha=0.2, label="±5%")
        ax.set_xscale("log")
        ax.set_xticks(sorted(t["s"].unique()))
        plain_log(ax.xaxis)
        ax.set_xlabel("sparsity s (log scale)")
        ax.set_title(f"N = {N}" + (f" — {title}" if title else ""))
    free = list(axes.flat[len(Ns):])
    if free:
        free[0].legend(*_merged_handles(*axes.flat[:len(Ns)]), fontsize=8, loc="center")
    else:
        axes.flat[len(Ns) - 1].legend(fontsize=6, ncol=2)
    return fig


def scale_agreement(table: pd.DataFrame, title: str = ""):
    """Against s/N, one column per law, one colour per N: the measured P50 over the
    kinematic prediction (top, ±2% band) and the measured 10–90% width over the predicted
    one (bottom, ±10% band), both through the measured quantities' own estimator, with the
    measured values' 95% intervals."""
    laws = sorted(table["sampling"].unique())
    Ns = sorted(table["N"].unique())
    fig, axes = pyplot().subplots(2, len(laws), figsize=(5.0 * len(laws), 6.4), squeeze=False,
                                   sharex=True, sharey="row")
    for j, law in enumerate(laws):
        for i, N in enumerate(Ns):
            g = table[(table["sampling"] == law) & (table["N"] == N)].sort_values("s")
            x = g["s"] / N
            for ax, key in ((axes[0][j], "ratio_kinematic"), (axes[1][j], "ratio_width")):
                ok = g[key].notna()
                err = np.vstack([g[key] - g[key + "_lo"], g[key + "_hi"] - g[key]])[:, ok]
                ax.errorbar(x[ok], g[key][ok], yerr=err, fmt="o-", color=f"C{i}", ms=4,
                            lw=1.0, capsize=2, label=f"N = {N}")
        for ax, band, what in ((axes[0][j], 0.02, r"$P_{50}$"), (axes[1][j], 0.10,
                                                                   "10–90% width")):
            ax.axhline(1.0, color="k", lw=0.8)
            ax.axhspan(1 - band, 1 + band, color="grey", alpha=0.2, label=f"±{band:.0%}")
            ax.set_xscale("log")
            plain_log(ax.xaxis)
            if j == 0:
                ax.set_ylabel(f"measured {what} /\nkinematic prediction")
        axes[0][j].set_title(law + (f" — {title}" if title else ""))
        axes[1][j].set_xlabel("s / N (log scale)")
    axes[0][-1].legend(fontsize=7)
    return fig


def law_shapes(table: pd.DataFrame, title: str = ""):
    """P50 measured over predicted against s, one panel per law, one colour per N: over the
    kinematic (Gaussian-row) prediction (open markers, dashed) and over the law's own
    finite-size curve (filled, with the measured P50's 95% CI); the ±5% band."""
    laws = sorted(table["sampling"].unique())
    Ns = sorted(table["N"].unique())
    fig, axes = _ratio_panels(len(laws), 2, 5.6)
    for ax, law in zip(axes.flat, laws):
        for i, N in enumerate(Ns):
            g = table[(table["sampling"] == law) & (table["N"] == N)].sort_values("s")
            if g.empty:
                continue
            ax.plot(g["s"], g["ratio_kinematic"], "o--", mfc="none", color=f"C{i}", lw=0.8,
                    ms=4, label=f"N = {N}: / kinematic (Gaussian rows)")
            err = np.vstack([g["ratio_law"] - g["ratio_law_lo"],
                             g["ratio_law_hi"] - g["ratio_law"]])
            ax.errorbar(g["s"], g["ratio_law"], yerr=err, fmt="o-", color=f"C{i}", ms=4,
                        lw=1.2, capsize=2, label=f"N = {N}: / the law's own curve")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.axhspan(0.95, 1.05, color="grey", alpha=0.2, label="±5%")
        ax.set_xscale("log")
        ax.set_xticks(sorted(table.loc[table["sampling"] == law, "s"].unique()))
        plain_log(ax.xaxis)
        ax.set_xlabel("sparsity s (log scale)")
        ax.set_title(law + (f" — {title}" if title else ""))
    handles, labels = _merged_handles(*axes.flat[:len(laws)])
    fig.legend(handles, labels, fontsize=7, loc="outside lower center", ncol=min(len(labels), 3))
    return fig


def per_vector(table: pd.DataFrame, title: str = ""):
    """Measured P50 over three predictions against s, one panel per run (input law): the
    design-aware step at δ_w over 20 vectors (open, dashed), the per-vector Gaussian-row curve
    with each vector's Σ_w and the exact per-vector curve of the law's own samples (filled,
    error bars: the measured P50's 95% CI); the ±10% band."""
    runs = list(dict.fromkeys(table["run"]))
    fig, axes = _ratio_panels(len(runs), 2, 5.6)
    for ax, run in zip(axes.flat, runs):
        g = table[table["run"] == run].sort_values("s")
        ax.plot(g["s"], g["ratio_design"], "s--", mfc="none", color="C7", lw=0.8, ms=4,
                label=r"/ design-aware: step at $\delta_w$, 20 vectors")
        for key, color, marker, label in (
                ("moment", "C0", "o", r"/ per vector: Gaussian rows with $\Sigma_w$"),
                ("exact", "C3", "^", "/ per vector, exact: the law's own samples")):
            err = np.vstack([g[f"ratio_{key}"] - g[f"ratio_{key}_lo"],
                             g[f"ratio_{key}_hi"] - g[f"ratio_{key}"]])
            ax.errorbar(g["s"], g[f"ratio_{key}"], yerr=err, fmt=marker + "-", color=color,
                        ms=4, lw=1.2, capsize=2, label=label)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.axhspan(0.9, 1.1, color="grey", alpha=0.2, label="±10%")
        ax.set_xscale("log")
        ax.set_xticks(sorted(g["s"].unique()))
        plain_log(ax.xaxis)
        ax.set_xlabel("sparsity s (log scale)")
        ax.set_title(run + (f" — {title}" if title else ""), fontsize=10)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="outside lower center", ncol=2)
    return fig


def transition_collapse(trials: pd.DataFrame, table: pd.DataFrame, title: str = ""):
    """Every (law, N, s) cell's success rate at each P against (P − P50)/W, with P50 and W
    the kinematic prediction's 50% point and 10–90% width (markers: measured, one colour per
    N, one marker per law), and the logistic curve with that width (line): if the prediction
    holds, every cell at every N falls on it."""
    rates = success_rates(trials[trials["success"].notna()],
                          by=["sampling"]).merge(table, on=["sampling", "N", "s"])
    Ns = sorted(rates["N"].unique())
    laws = sorted(rates["sampling"].unique())
    fig, ax = pyplot().subplots(figsize=(8.6, 4.6))
    z = np.linspace(-2.5, 2.5, 201)
    ax.plot(z, 1 / (1 + np.exp(-2 * np.log(9) * z)), "k-", lw=1.5, zorder=5,
            label=r"logistic with the predicted width: $\sigma(2\ln 9\cdot x)$")
    for i, N in enumerate(Ns):
        for j, law in enumerate(laws):
            g = rates[(rates["N"] == N) & (rates["sampling"] == law)]
            if g.empty:
                continue
            x = (g["P"] - g["p50_kinematic"]) / g["width_kinematic"]
            ax.plot(x, g["rate"], "os^vD"[j % 5], color=f"C{i}", ms=3.5, alpha=0.7, lw=0,
                    label=f"{law}, N = {N}")
    ax.set_xlim(-2.5, 2.5)
    ax.set_xlabel(r"$(P - P_{50}^{\rm kin}) / W^{\rm kin}$ (W: predicted 10–90% width)")
    ax.set_ylabel("success rate")
    ax.set_title(title or "the transition collapsed onto the kinematic prediction")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def deep_recovery(rates: pd.DataFrame, layers: pd.DataFrame, title: str = ""):
    """One panel per scheme: the fraction of live neurons recovered against P for each layer
    (markers), each layer's predicted δ(s, n_in+1)/q marked by a dashed vertical line in its
    colour and, when ``layers`` has it, the design-aware prediction (where mean_m
    Pr(Binomial(P, q_m) ≥ δ(Σ_m^{1/2}D)) over the layer's neurons crosses ½,
    :func:`nettrim.suite.cones.planted_network_prediction`) by a dash-dot one."""
    present = list(dict.fromkeys(rates["scheme"]))
    schemes = [s for s in ("parallel", "cascade") if s in present] + \
        [s for s in present if s not in ("parallel", "cascade")]
    fig, axes = pyplot().subplots(1, len(schemes), figsize=(5.4 * len(schemes), 4.2),
                                   squeeze=False, sharey=True)
    for ax, scheme in zip(axes[0], schemes):
        r = rates[rates["scheme"] == scheme]
        for i, (layer, g) in enumerate(r.groupby("layer")):
            color = f"C{i}"
            info = layers[(layers["scheme"] == scheme) & (layers["layer"] == layer)].iloc[0]
            und = int(g["unconverged"].sum())
            ax.plot(g["P"], g["neuron_rate"], "o-", color=color, ms=4,
                    label=f"layer {layer} ($n_{{in}}$={info['n_in']}, q={info['q']:.2f})"
                    + (f", {und} unconverged left out" if und else ""))
            ax.plot(g["P"], g["layer_rate"], "s:", color=color, ms=3, alpha=0.6)
            ax.axvline(info["p50_pred"], color=color, ls="--", lw=1)
            if np.isfinite(info.get("p50_design", np.nan)):
                ax.axvline(info["p50_design"], color=color, ls="-.", lw=1.2)
        ax.plot([], [], "k--", lw=1, label=r"predicted $P_{50}=\delta(s,n_{in}+1)/q$")
        if "p50_design" in layers:
            ax.plot([], [], "k-.", lw=1.2,
                    label=r"design-aware: mean$_m$ Pr(Bin$(P, q_m) \geq \delta_m$) = ½")
        ax.plot([], [], "ks:", ms=3, alpha=0.6, label="whole layer recovered")
        ax.axhline(0.5, color="grey", lw=0.5)
        ax.set_xscale("log")
        ax.set_xlabel("samples P")
        ax.set_title(f"{scheme} scheme")
    axes[0][0].set_ylabel("fraction of live neurons recovered (ε = 0)")
    # under the axes: inside, it hid the whole-layer curves at large P
    fig.legend(*_merged_handles(*axes[0]), loc="lower center", ncol=2, fontsize=7,
               frameon=False)
    fig.subplots_adjust(bottom=0.24)
    if title:
        fig.suptitle(title)
    return fig


__all__ = ["phase_diagram", "collapse", "overlay", "overlay_design", "agreement",
           "noisy_recovery", "finite_size", "scale_agreement", "transition_collapse",
           "deep_recovery"]
