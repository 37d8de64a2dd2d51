"""Prune a trained classifier: test accuracy against compression, Net-Trim (parallel and
cascade, a grid of gains) against today's one-shot pruners — magnitude, Wanda, SparseGPT and
exact greedy OBS — at the same per-layer counts, with and without masked fine-tuning, and under
input noise.

    python experiments/prune_network.py [overrides]          (make prune; digits)
    python experiments/prune_network.py experiment=prune_lenet      (64·300·100·10 on digits)
    python experiments/prune_network.py experiment=prune_spirals    (2·200·200·2 spirals)

Writes into the run directory: model.joblib / model.npz (the trained network; reused on a
restart), results.csv (one row per scheme, gain and method), best_within_1pt.csv and
summary.md, networks/*.npz (each Net-Trim network), accuracy_vs_compression.{png,pdf},
robustness.{png,pdf}, layer_nnz.{png,pdf}, weight_histograms.{png,pdf} and config.yaml.
Finished prunings are kept under parts/: a restart resumes. See conf/prune_network.yaml.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from nettrim.network import Network
from nettrim.suite import compression, models, plots
from nettrim.suite.cli import hydra_entry
from nettrim.suite.parallel import backend
from nettrim.suite.runs import finish_run, finished_config, grown, start_run
from nettrim.suite.summary import best_within, markdown_table
from nettrim.suite.sweep_config import check_solver_config

log = logging.getLogger(__name__)

def run(cfg: DictConfig, out_dir) -> pd.DataFrame:
    added = grown(out_dir, cfg).get("baselines")
    out_dir, config = start_run(cfg, out_dir)
    [solver] = check_solver_config(config)
    (out_dir / "networks").mkdir(exist_ok=True)
    model = models.model_file(out_dir, config["network"])
    net = models.train_classifier(config["data"], config["network"], model,
                                       cache=config.get("model_cache"))
    tasks = [(scheme, g) for scheme in config["schemes"] for g in config["gains"]]
    study = dict(data=config["data"], model_path=str(model), finetune=config["finetune"],
                 noise=config["noise"],
                 **({"samples": config["samples"]} if config.get("samples") else {}),
                 **({"patches": config["patches"]} if config.get("patches") else {}))
    identity = {"model": models.model_key(config["data"], config["network"])}
    original = _original(net)
    if added:
        _check_original(out_dir, original)
    with backend(config.get("parallel"), config["n_jobs"]) as n_jobs:
        if added:
            results = _extend(out_dir, tasks, added, config["baselines"], n_jobs, study,
                              identity, config["progress"])
        else:
            results = compression.run_study(
                compression.prune_task, tasks, out_dir=out_dir, n_jobs=n_jobs,
                progress=config["progress"], identity=identity, gamma=config["gamma"],
                baselines=config["baselines"], net_dir=str(out_dir / "networks"),
                solver=solver, **study)
    (out_dir / "original.json").write_text(json.dumps(original, indent=1) + "\n")
    _write(results, original, config, out_dir, cfg.figures, net)
    log.info((out_dir / "summary.md").read_text())
    finish_run(cfg, out_dir)
    return results


def _extend(out_dir, tasks, added, baselines, n_jobs, study, identity, progress):
    """The finished run's rows and ``added`` baselines' rows at its Net-Trim rows' counts
    (resumable under ``extend_<names>/``), ordered by setting, then as ``baselines`` lists."""
    old = pd.read_csv(out_dir / "results.csv")
    old = old[~old["method"].isin(added)]     # a run killed after results.csv, before config
    nt = old[old["method"] == "nettrim"]
    layers = [c for c in nt.columns if c.startswith("layer") and c.endswith("_nnz")]
    described = ["converged", "bound_held"] + [c for c in nt.columns if c.endswith("_time")
                                               and c != "prune_time"]
    counts = {f"{r['scheme']} {r['gain']:g}": {"counts": [int(r[c]) for c in layers],
                                               **{c: r[c] for c in described}}
              for _, r in nt.iterrows()}
    missing = [t for t in tasks if f"{t[0]} {t[1]:g}" not in counts]
    if missing:
        raise ValueError(f"{out_dir / 'results.csv'} has no Net-Trim row for {missing}; it "
                         f"cannot be extended with {added}")
    first = nt.iloc[0]
    original = {k: float(first[k]) for k in ("original_acc_train", "original_acc_test")}
    log.info("extending the finished run with %s at its Net-Trim counts", added)
    new = compression.run_study(
        compression.baseline_task, tasks, out_dir=out_dir / f"extend_{'_'.join(added)}",
        n_jobs=n_jobs, progress=progress, identity=identity, counts=counts, original=original,
        baselines=added, **study)
    merged = pd.concat([old, new], ignore_index=True)
    rank = {m: i for i, m in enumerate(["nettrim", *baselines])}
    setting = {t: i for i, t in enumerate(tasks)}
    key = [setting[(s, g)] * len(rank) + rank[m]
           for s, g, m in zip(merged["scheme"], merged["gain"], merged["method"])]
    return merged.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)


def draw(out_dir) -> None:
    """Redraw a finished run from its committed files (make figures; no pruning):
    best_within_1pt.csv and summary.md recomputed from results.csv, and the figures; those
    showing a pruned network (weight histograms, conv filters) only where networks/ is at
    hand (it is not committed)."""
    out_dir = Path(out_dir)
    config = finished_config(out_dir)
    results = pd.read_csv(out_dir / "results.csv")
    original = json.loads((out_dir / "original.json").read_text())
    net = None
    if (out_dir / "networks").is_dir():
        model = models.model_file(out_dir, config["network"])
        net = models.load_model(model)[0] if model.is_file() else None
    _write(results, original, config, out_dir, config.get("figures", True), net)


def _original(net) -> dict:
    """What the tables and figures need of the original network (original.json, committed,
    so that a fresh clone redraws them without the gitignored model), and the digest of its
    weights: the network's identity (a retraining on another machine can differ)."""
    import hashlib

    digest = hashlib.sha256()
    for a in (*net.weights, *net.biases):
        digest.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return {"architecture": _architecture(net), "nnz": [int(k) for k in net.nnz()],
            "conv_layers": [i + 1 for i, c in enumerate(net.convs) if c is not None],
            "weights_sha256": digest.hexdigest()}


def _check_original(out_dir, original: dict) -> None:
    """Refuse to extend a finished run with a model (``original``, :func:`_original`) that is
    not the one it pruned (by the weights' digest in its original.json, where it has one)."""
    saved = out_dir / "original.json"
    want = json.loads(saved.read_text()).get("weights_sha256") if saved.is_file() else None
    if want is not None and want != original["weights_sha256"]:
        raise ValueError(f"the model at hand is not the network the run in {out_dir} pruned "
                         f"(its weights' digest differs from {saved}'s): a baseline added now "
                         f"would not be at equal terms; retrain or restore that model")


def _write(results, original, config, out_dir, figures, net=None):
    """results.csv, best_within_1pt.csv, summary.md and (``figures``) the figures; those that
    show a Net-Trim network (weight histograms, conv filters) only with the original ``net``
    and the network saved in networks/ (gitignored: a fresh clone has neither)."""
    results.to_csv(out_dir / "results.csv", index=False)
    best = best_within(results, 0.01)
    best.to_csv(out_dir / "best_within_1pt.csv", index=False)
    nnz = original["nnz"]
    (out_dir / "summary.md").write_text(_markdown(results, nnz) + "\n\n" + _best_markdown(best))
    if not figures:
        return
    title = f"{config['data']['name']}, {original['architecture']} ReLU network"
    plots.save(plots.accuracy_vs_compression(results, title), out_dir / "accuracy_vs_compression")
    plots.save(plots.layer_nnz(results, nnz, title), out_dir / "layer_nnz")
    scheme, gain = _figure_setting(results, best)
    if config["noise"]["levels"]:
        plots.save(plots.robustness(results, scheme, gain, title), out_dir / "robustness")
    convs = original["conv_layers"]
    dense = {"dense layers": [i for i in range(1, len(nnz) + 1) if i not in convs]}
    plots.save(plots.layer_density(
        _density_rows(results, best), nnz, config.get("reference_density"),
        dense if convs else None, f"{title}: Net-Trim's most compressed prunings within "
                                  f"one point"), out_dir / "layer_density")
    saved = out_dir / "networks" / f"{scheme}_gain{gain:g}.npz"
    if net is None or not saved.is_file():
        log.info("%s is not at hand (networks/ is not committed): the weight histograms and "
                 "conv filter figures are left as they are", saved)
        return
    pruned = Network.load_npz(saved)
    plots.save(plots.weight_histograms(net, pruned, f"{title}: {scheme} Net-Trim, gain {gain:g}"),
               out_dir / "weight_histograms")
    for i in convs:
        plots.save(plots.conv_filters(net, pruned, i - 1, f"{scheme}, gain {gain:g}"),
                   out_dir / f"conv_filters_layer{i}")


def _density_rows(results, best):
    """Net-Trim's best prunings within one point (without and with fine-tuning), labelled,
    with their per-layer counts; its most accurate pruning when none qualifies."""
    nt = best[best["method"] == "nettrim"].dropna(subset=["compression"])
    rows = []
    for r in nt.itertuples():
        match = results[(results["method"] == "nettrim") & (results["scheme"] == r.scheme)
                        & (results["gain"] == r.gain)].iloc[0]
        tuning = "fine-tuned" if r.fine_tuned else "no fine-tuning"
        rows.append({**match.filter(like="_nnz").to_dict(),
                     "label": f"{r.scheme}, gain {r.gain:g} ({tuning}, {r.compression:.1f}×)"})
    if not rows:
        nt_all = results[results["method"] == "nettrim"]
        r = nt_all.loc[nt_all["acc_test"].idxmax()]
        rows.append({**r.filter(like="_nnz").to_dict(),
                     "label": f"{r['scheme']}, gain {r['gain']:g} (most accurate; none within "
                              f"one point)"})
    return pd.DataFrame(rows)


def _architecture(net) -> str:
    """'784·300·100·10', or '1×28×28·conv32·conv64·512·10' with convolutions (a conv layer's
    weight matrix has C·k·k rows, which is not the layer's input size)."""
    first = net.convs[0]
    parts = ["×".join(map(str, first.in_shape)) if first is not None
             else str(net.weights[0].shape[0])]
    parts += [f"conv{W.shape[1]}" if c is not None else str(W.shape[1])
              for W, c in zip(net.weights, net.convs)]
    return "·".join(parts)


def _figure_setting(results, best):
    """The (scheme, gain) the figures show: Net-Trim's best within one point (``best``, from
    :func:`best_within`), else its most accurate pruning."""
    row = best[(best["method"] == "nettrim") & ~best["fine_tuned"]].iloc[0]
    if row["compression"] != row["compression"]:          # NaN: none within one point
        nt = results[results["method"] == "nettrim"]
        row = nt.loc[nt["acc_test"].idxmax()]
    return row["scheme"], float(row["gain"])


_NAMES = {"nettrim": "Net-Trim", "magnitude": "magnitude", "wanda": "Wanda",
          "sparsegpt": "SparseGPT", "obs": "OBS"}


def _markdown(results: pd.DataFrame, nnz) -> str:
    """The write-up's table (results/prune_network/README.md): one row per (scheme, gain),
    test accuracy of Net-Trim and of every baseline at its per-layer counts (fine-tuned in
    parentheses), Net-Trim's time and each method's pruning time."""
    layers = [c for c in results.columns if c.startswith("layer") and c.endswith("_nnz")]
    tuned = "acc_test_ft" in results
    methods = list(dict.fromkeys(results["method"]))
    header = (["scheme", "gain", "nonzeros per layer", "compression (hidden)", "ε_rd"]
              + [f"{_NAMES.get(m, m)}" + (" (ft)" if tuned else "") for m in methods]
              + ["pruning time (s): " + " / ".join(_NAMES.get(m, m) for m in methods)])
    rows = []
    for (scheme, gain), g in results.groupby(["scheme", "gain"], sort=False):
        g = g.set_index("method")
        r = g.loc["nettrim"]
        accs = [f"{g.at[m, 'acc_test']:.4f}" + (f" ({g.at[m, 'acc_test_ft']:.4f})" if tuned
                                                 else "") for m in methods]
        times = " / ".join(f"{g.at[m, 'prune_time']:.2f}" for m in methods)
        rows.append([scheme, f"{gain:g}", " / ".join(str(int(r[c])) for c in layers),
                     f"{r['compression']:.1f}× ({r['hidden_compression']:.1f}×)",
                     f"{r['discrepancy']:.3f}", *accs,
                     times + ("" if r["converged"] else " (Net-Trim unconverged)")])
    original = (f"Original: {' / '.join(str(k) for k in nnz)} nonzeros, test accuracy "
                f"{results['original_acc_test'].iat[0]:.4f}.\n\n")
    return original + markdown_table(header, rows)


def _best_markdown(best: pd.DataFrame) -> str:
    """Per method: the largest compression within one point of the original test accuracy."""
    header = ["method", "fine-tuned", "best compression within 1 point", "at (scheme, gain)",
              "test accuracy", "ε_rd", "pruning time (s)"]
    rows = []
    for r in best.itertuples():
        found = r.compression == r.compression  # not NaN
        rows.append([_NAMES.get(r.method, r.method), "yes" if r.fine_tuned else "no",
                     f"{r.compression:.1f}×" if found else "none within 1 point",
                     f"{r.scheme}, {r.gain:g}" if found else "–",
                     f"{r.acc_test:.4f}" if found else "–",
                     f"{r.discrepancy:.3f}" if found else "–",
                     f"{r.prune_time:.2f}" if found else "–"])
    return markdown_table(header, rows)


main = hydra_entry(__file__, "prune_network", run)

if __name__ == "__main__":
    main()
