"""Figures of the pruning studies: sparsity against discrepancy, decision regions, accuracy
against compression for every method, noise robustness, per-layer counts and densities, conv
filters, the sample-size sweep, weight histograms, per-neuron counts against features."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import plain_log, pyplot, ticker


def sparsity_vs_discrepancy(runs: pd.DataFrame, target: float | None = None, title: str = ""):
    """One panel per hidden width H: the fraction of weights kept (nnz after / before, all
    layers) against the relative logit discrepancy ε_rd, a line per scheme and training seed.
    Hollow markers: a layer's solve did not converge (not a certified pruning)."""
    Hs = sorted(runs["H"].unique())
    fig, axes = pyplot().subplots(1, len(Hs), figsize=(4.6 * len(Hs), 4.0), squeeze=False,
                                   sharey=True)
    colors = {"parallel": "C0", "cascade": "C3"}
    for ax, H in zip(axes[0], Hs):
        for (scheme, seed), g in runs[runs["H"] == H].groupby(["scheme", "seed"]):
            g = g.sort_values("discrepancy")
            c = colors.get(scheme, "C2")
            ax.plot(g["discrepancy"], g["kept"], "-", color=c, lw=1, alpha=0.7,
                    label=scheme if seed == runs["seed"].min() else None)
            ok = g["converged"].astype(bool)
            ax.plot(g.loc[ok, "discrepancy"], g.loc[ok, "kept"], "o", color=c, ms=4)
            ax.plot(g.loc[~ok, "discrepancy"], g.loc[~ok, "kept"], "o", mfc="none", color=c,
                    ms=5)
        if target is not None:
            ax.axvline(target, color="grey", ls="--", lw=1, label=f"ε_rd = {target:g}")
        ax.set_xscale("log")
        plain_log(ax.xaxis)
        ax.set_xlabel(r"relative logit discrepancy $\epsilon_{rd}=\|Z-\hat Z\|_F/\|Z\|_F$")
        ax.set_title(f"2·{H}·{H}·2")
        ax.grid(True, which="both", lw=0.3, alpha=0.5)
    axes[0][0].set_ylabel("fraction of weights kept (nnz after / before)")
    axes[0][0].plot([], [], "ko", mfc="none", ms=5, label="a layer unconverged")
    axes[0][0].legend(fontsize=7)
    n = runs.groupby(["H", "scheme"])["seed"].nunique().min()
    fig.suptitle((title + "; " if title else "") + f"{n} training seeds per width", y=1.02)
    return fig


def decision_regions(networks: dict, X, labels, *, resolution: int = 300, title: str = ""):
    """The predicted class over the plane for each network (one panel each; the title gives
    its nonzero count), with the labelled points X (2×P) on top."""
    X = np.asarray(X)
    labels = np.asarray(labels)
    pad = 0.1 * np.ptp(X, axis=1).max()
    lo, hi = X.min(axis=1) - pad, X.max(axis=1) + pad
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.vstack([g0.ravel(), g1.ravel()])
    fig, axes = pyplot().subplots(1, len(networks), figsize=(4.4 * len(networks), 4.2),
                                   squeeze=False)
    for ax, (name, net) in zip(axes[0], networks.items()):
        pred = net.forward(grid)[-1].argmax(axis=0).reshape(g0.shape)
        ax.contourf(g0, g1, pred, levels=[-0.5, 0.5, 1.5], colors=["#c6dbef", "#fcbba1"])
        ax.contour(g0, g1, pred, levels=[0.5], colors="k", linewidths=0.8)
        for k, (c, m) in enumerate([("C0", "o"), ("C3", "^")]):
            pts = X[:, labels == k]
            ax.plot(pts[0], pts[1], m, color=c, ms=2, label=f"class {k}")
        nnz = sum(int(np.count_nonzero(W)) for W in net.weights)
        ax.set_title(f"{name}: {nnz} nonzero weights")
        ax.set_xlabel("$x_1$")
        ax.set_aspect("equal")
    axes[0][0].set_ylabel("$x_2$")
    axes[0][0].legend(fontsize=7, loc="lower right")
    if title:
        fig.suptitle(title)
    return fig


_SCHEME_COLORS = {"parallel": "C0", "cascade": "C3"}
_METHOD_STYLE = {"nettrim": ("C3", "o", "Net-Trim"), "magnitude": ("C0", "x", "magnitude"),
                 "wanda": ("C1", "^", "Wanda"), "sparsegpt": ("C4", "v", "SparseGPT"),
                 "obs": ("C2", "s", "OBS (exact, greedy)")}
_SCHEME_LS = {"parallel": ":", "cascade": "-"}


def _sparse_minor_label(value, _pos) -> str:
    """Minor log ticks labelled at 2, 3 and 5 times a power of ten only: every one of them
    crowds the axis (7×8×9×10×)."""
    if value <= 0:
        return ""
    mantissa = round(value / 10 ** np.floor(np.log10(value)), 6)
    return f"{value:g}×" if mantissa in (2, 3, 5) else ""


def accuracy_vs_compression(results: pd.DataFrame, title: str = ""):
    """Test accuracy against the compression factor (all weights, log scale), one line per
    method (colour) and Net-Trim scheme whose counts it was given (line style); left without,
    right with masked fine-tuning (when run). The original network's accuracy and 1 point
    below it in grey."""
    tuned = "acc_test_ft" in results
    cols = [("acc_test", "no fine-tuning")] + ([("acc_test_ft", "masked fine-tuning")]
                                               if tuned else [])
    fig, axes = pyplot().subplots(1, len(cols), figsize=(6.4 * len(cols), 4.6), squeeze=False,
                                   sharey=True)
    acc0 = float(results["original_acc_test"].iat[0])
    for ax, (col, name) in zip(axes[0], cols):
        for (method, scheme), g in results.groupby(["method", "scheme"], sort=False):
            g = g.sort_values("compression")
            c, m, label = _METHOD_STYLE.get(method, ("C7", ".", method))
            ax.plot(g["compression"], g[col], _SCHEME_LS.get(scheme, "-"), marker=m, color=c,
                    ms=4, label=f"{label}, {scheme} counts")
        ax.axhline(acc0, color="grey", lw=1, label=f"original ({acc0:.3f})")
        ax.axhline(acc0 - 0.01, color="grey", lw=0.8, ls="-.", label="original − 1 point")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker().FormatStrFormatter("%g×"))
        ax.xaxis.set_minor_formatter(ticker().FuncFormatter(_sparse_minor_label))
        ax.set_xlabel("compression factor (nonzero weights before / after, all layers)")
        ax.set_title(name, fontsize=9)
        ax.grid(True, which="both", lw=0.3, alpha=0.5)
    axes[0][0].set_ylabel("test accuracy")
    # below the panels: inside, ten entries covered the low-accuracy baselines' points
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(len(labels), 4 if tuned else 2), fontsize=7, frameon=False)
    bad = int((~results.loc[results["method"] == "nettrim", "converged"].astype(bool)).sum())
    fig.suptitle((title + "\n" if title else "") + "equal per-layer counts: the baselines get "
                 "Net-Trim's; " + (f"{bad} Net-Trim prunings with an unconverged layer" if bad
                                   else "every Net-Trim layer solve converged"),
                 fontsize=9, y=1.02)
    return fig


def robustness(results: pd.DataFrame, scheme: str, gain: float, title: str = ""):
    """Test accuracy under additive input noise (‖noise‖ = level·‖x‖) against the level, for
    the original network and every method at one (scheme, gain)'s per-layer counts."""
    levels = sorted(float(c[len("acc_noise"):]) for c in results.columns
                    if c.startswith("acc_noise"))
    fig, ax = pyplot().subplots(figsize=(6.4, 4.4))
    first = results.iloc[0]
    ax.plot([0, *levels], [first["original_acc_test"],
                           *[first[f"original_acc_noise{v:g}"] for v in levels]],
            "k--", marker="o", ms=4, label="original")
    rows = results[(results["scheme"] == scheme) & (results["gain"] == gain)]
    for _, r in rows.iterrows():
        c, m, label = _METHOD_STYLE.get(r["method"], ("C7", ".", r["method"]))
        ax.plot([0, *levels], [r["acc_test"], *[r[f"acc_noise{v:g}"] for v in levels]],
                "-", marker=m, color=c, ms=4, label=label)
    ax.set_xlabel("noise level ‖noise‖ / ‖x‖ (per test sample)")
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=7)
    ax.grid(True, lw=0.3, alpha=0.5)
    comp = float(rows["compression"].iat[0]) if len(rows) else float("nan")
    ax.set_title((title + "\n" if title else "") + f"{scheme} Net-Trim at gain {gain:g} "
                 f"({comp:.1f}×) and the baselines at its per-layer counts", fontsize=9)
    return fig


def layer_nnz(results: pd.DataFrame, before: list, title: str = ""):
    """Nonzero weights per layer against the gain, one panel per scheme; the original counts
    dashed."""
    res = results[results["method"] == "nettrim"]
    schemes = list(dict.fromkeys(res["scheme"]))
    layers = sorted(int(c[5:-4]) for c in res.columns if c.startswith("layer") and
                    c.endswith("_nnz"))
    fig, axes = pyplot().subplots(1, len(schemes), figsize=(5 * len(schemes), 3.8), squeeze=False,
                                   sharey=True)
    for ax, scheme in zip(axes[0], schemes):
        g = res[res["scheme"] == scheme].sort_values("gain")
        for i in layers:
            ax.plot(g["gain"], g[f"layer{i}_nnz"], "o-", color=f"C{i - 1}", ms=4,
                    label=f"layer {i}")
            ax.axhline(before[i - 1], color=f"C{i - 1}", ls="--", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sorted(g["gain"].unique()))
        plain_log(ax.xaxis)
        ax.set_xlabel(r"gain $g$ ($\epsilon_\ell = g\|Y^{(\ell)}\|_F$"
                      + (", layer 1 only)" if scheme == "cascade" else ")"))
        ax.set_title(f"{scheme} scheme")
    axes[0][0].set_ylabel("nonzero weights (dashed: before pruning)")
    axes[0][0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def layer_density(rows: pd.DataFrame, before: list, reference: dict | None = None,
                  extra: dict | None = None, title: str = ""):
    """Per-layer density (nonzeros after / before) of chosen prunings, grouped bars, one group
    per layer and one bar per row of ``rows`` (``label`` and ``layer<i>_nnz`` columns), then
    the groups of ``extra`` {name: [layer numbers]} and "all layers"; ``reference``
    {label: density} draws horizontal marks (e.g. the authors' 6.8% on LeNet's FC layers)."""
    layers = sorted(int(c[5:-4]) for c in rows.columns if c.startswith("layer") and
                    c.endswith("_nnz"))
    extra = dict(extra or {})
    extra["all layers"] = layers
    groups = [f"layer {i}" for i in layers] + list(extra)
    fig, ax = pyplot().subplots(figsize=(1.4 * len(groups) + 3, 4.2))
    width = 0.8 / max(len(rows), 1)
    for j, (_, r) in enumerate(rows.iterrows()):
        nnz = {i: r[f"layer{i}_nnz"] for i in layers}
        dens = [nnz[i] / before[i - 1] for i in layers] + [
            sum(nnz[i] for i in g) / sum(before[i - 1] for i in g) for g in extra.values()]
        x = np.arange(len(groups)) + (j - (len(rows) - 1) / 2) * width
        ax.bar(x, dens, width, color=f"C{j}", label=r["label"])
        for xi, d in zip(x, dens):
            ax.text(xi, d, f"{100 * d:.1f}%", ha="center", va="bottom", fontsize=6)
    for k, (label, d) in enumerate((reference or {}).items()):
        ax.axhline(d, color="k", ls=["--", ":", "-."][k % 3], lw=1, label=label)
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.set_ylabel("density (nonzero weights after / before)")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    ax.grid(True, axis="y", which="both", lw=0.3, alpha=0.5)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def conv_filters(original, pruned, layer: int = 0, title: str = "", per_row: int = 16):
    """The filters of convolution ``layer`` before (upper block) and after pruning (lower
    block), one k×k image per output channel (its first input channel), ``per_row`` to a row
    in both blocks so the same place holds the same filter, on one colour scale per filter
    pair; pruned weights are exactly 0 (white)."""
    conv = original.convs[layer]
    if conv is None:
        raise ValueError(f"layer {layer} is not a convolution")
    C, k = conv.in_shape[0], conv.kernel
    M = original.weights[layer].shape[1]
    cols = min(M, per_row)
    rows = -(-M // cols)                                   # rows per block
    fig, axes = pyplot().subplots(2 * rows, cols, figsize=(0.55 * cols + 1, 1.1 * rows + 0.9),
                                  squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    for m in range(M):
        pair = [net.weights[layer][:, m].reshape(C, k, k)[0] for net in (original, pruned)]
        top = float(max(np.abs(pair[0]).max(), 1e-12))
        for block, F in enumerate(pair):
            ax = axes[block * rows + m // cols][m % cols]
            ax.imshow(F, cmap="RdBu_r", vmin=-top, vmax=top)
            ax.set_frame_on(True)
    axes[0][0].set_ylabel("before", fontsize=7)
    axes[rows][0].set_ylabel("after", fontsize=7)
    kept = np.count_nonzero(pruned.weights[layer])
    fig.suptitle((title + ": " if title else "") + f"layer {layer + 1} filters "
                 f"({k}×{k}, red +, blue −, white 0); {kept} of "
                 f"{np.count_nonzero(original.weights[layer])} weights kept", fontsize=8)
    return fig


def samples_sweep(table: pd.DataFrame, title: str = ""):
    """Net-Trim against the number of training inputs it is solved on: ε_rd on those inputs
    (dashed) and on all of them (solid), layer-1 nonzeros, and test accuracy, one colour per
    gain; the sharp prediction's per-neuron count δ(s, N)/q̂ (median neuron) as a dotted
    vertical line per gain."""
    fig, axes = pyplot().subplots(1, 3, figsize=(14, 4.8), layout="constrained")
    for j, (gain, g) in enumerate(table.groupby("gain")):
        g = g.sort_values("samples")
        c = f"C{j}"
        axes[0].plot(g["samples"], g["discrepancy_all"], "o-", color=c,
                     label=f"gain {gain:g}, all inputs")
        axes[0].plot(g["samples"], g["discrepancy"], "o--", color=c, mfc="none",
                     label=f"gain {gain:g}, the subset")
        axes[1].plot(g["samples"], g["layer1_nnz"], "o-", color=c, label=f"gain {gain:g}")
        axes[2].plot(g["samples"], g["acc_test"], "o-", color=c, label=f"gain {gain:g}")
        for ax in axes:
            ax.axvline(float(g["p_median"].iat[0]), color=c, ls=":", lw=1)
    for ax, ylabel in zip(axes, [r"relative output discrepancy $\epsilon_{rd}$",
                                 "layer-1 nonzero weights", "test accuracy"]):
        ax.set_xscale("log")
        ax.set_xlabel("training inputs Net-Trim is solved on, n")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", lw=0.3, alpha=0.5)
    axes[0].legend(fontsize=6)
    axes[2].legend(fontsize=7, title=r"dotted: $\delta(s,N)/\hat q$, median neuron",
                   title_fontsize=6)
    if title:
        fig.suptitle(title)
    return fig


def weight_histograms(original, pruned, title: str = ""):
    """Histograms of each layer's nonzero weights before (grey) and after pruning, at most
    three layers to a row (four: two rows of two)."""
    L = original.n_layers
    cols = 2 if L == 4 else min(L, 3)
    rows = -(-L // cols)
    fig, axes = pyplot().subplots(rows, cols, figsize=(4 * cols, 3.4 * rows), squeeze=False,
                                  layout="constrained")
    for ax in axes.flat[L:]:
        ax.set_visible(False)
    for i, ax in enumerate(axes.flat[:L]):
        W0, W1 = original.weights[i], pruned.weights[i]
        bins = np.linspace(min(W0.min(), W1.min()), max(W0.max(), W1.max()), 60)
        ax.hist(W0[W0 != 0], bins=bins, color="grey", alpha=0.6,
                label=f"before ({np.count_nonzero(W0)})")
        ax.hist(W1[W1 != 0], bins=bins, color="C3", alpha=0.7,
                label=f"after ({np.count_nonzero(W1)})")
        ax.set_yscale("log")
        ax.set_xlabel(f"layer {i + 1} weight value")
        ax.legend(fontsize=7)
    for row in axes:
        row[0].set_ylabel("count of nonzero weights")
    if title:
        fig.suptitle(title)
    return fig


def per_neuron_vs_features(table: pd.DataFrame, supplement: dict | None = None,
                           title: str = ""):
    """Left: layer-2 nonzeros per neuron after pruning against the network's distinct layer-1
    creases, one marker per table network, coloured by training recipe, sized by H, with the
    line y = x (one weight per distinct crease). Right: the per-neuron count against H, with the
    supplement's Table S.1 counts (``supplement``: H → layer-2 nonzeros). Hollow markers: a
    layer did not converge."""
    fig, (a1, a2) = pyplot().subplots(1, 2, figsize=(11, 4.4))
    for i, (recipe, g) in enumerate(table.groupby("recipe", sort=False)):
        ok = g["converged"].astype(bool)
        c = f"C{i}"
        for ax, x in ((a1, g["distinct_features"]), (a2, g["H"])):
            ax.scatter(x[ok], g.loc[ok, "layer2_per_neuron"], s=g.loc[ok, "H"] / 2, color=c,
                       label=recipe if ax is a1 else None)
            ax.scatter(x[~ok], g.loc[~ok, "layer2_per_neuron"], s=g.loc[~ok, "H"] / 2,
                       facecolors="none", edgecolors=c)
        g = g.sort_values("H")
        a2.plot(g["H"], g["layer2_per_neuron"], "-", color=c, lw=0.8, label=recipe)
    top = max(table["distinct_features"].max(), table["layer2_per_neuron"].max()) * 1.05
    a1.plot([0, top], [0, top], "k:", lw=1, label="one weight per distinct crease")
    a1.set_xlabel("distinct layer-1 creases crossing the data")
    a1.set_ylabel("layer-2 nonzeros per neuron after pruning")
    a1.legend(fontsize=7)
    if supplement:
        Hs = sorted(int(h) for h in supplement)
        a2.plot(Hs, [supplement[h] / h for h in Hs], "k*--", ms=9,
                label="supplement, Table S.1 (H2O, dropout)")
    a2.set_xlabel("hidden width H")
    a2.set_ylabel("layer-2 nonzeros per neuron after pruning")
    a2.legend(fontsize=7)
    for ax in (a1, a2):
        ax.grid(True, lw=0.3, alpha=0.5)
    fig.suptitle(title + ("; " if title else "") + "marker size ∝ H, hollow: a layer unconverged",
                 y=1.02)
    return fig


__all__ = ["sparsity_vs_discrepancy", "decision_regions", "accuracy_vs_compression",
           "robustness", "layer_nnz", "layer_density", "conv_filters", "samples_sweep",
           "weight_histograms", "per_neuron_vs_features"]
