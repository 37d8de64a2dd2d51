"""The theory-validation suite: planted models, sampling laws, trials, resumable sweeps,
summaries, figures and the studies' command-line entry.

Not imported by ``import nettrim``: its dependencies (pandas, matplotlib, Hydra, joblib,
tqdm, statsmodels, cvxpy, scikit-learn) are the ``suite`` extra, which ``make`` installs.
Modules are imported by name, e.g. ``from nettrim.suite.sweep import run_sweep``.
"""
