# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
# Each creates .venv and installs the project into it when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Extra Hydra overrides (or script options) for the experiment targets,
# e.g. make demo ARGS="sampling=rademacher trials=40"
ARGS ?=

.PHONY: demo test test-all layer-demo agreement prediction deep spirals prune compare bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[suite,test]'
	touch $(STAMP)

# The main job: the default phase-transition sweep (Gaussian, N = 100, exact LP) and its figures
demo: $(STAMP)
	$(BIN)/python experiments/phase_transition.py $(ARGS)

# P50 measured around the prediction for four sampling laws, then their overlay figure
prediction: $(STAMP)
	$(BIN)/python experiments/phase_transition.py experiment=prediction $(ARGS)
	$(BIN)/python experiments/figures.py results/phase_transition/multirun_prediction --out results/phase_transition/overlay_prediction --table

# The same trials solved by lp, admm and cvxpy
agreement: $(STAMP)
	$(BIN)/python experiments/solver_agreement.py $(ARGS)

# Exact recovery of a planted 60-40-30-20 network, layer by layer, parallel and cascade
deep: $(STAMP)
	$(BIN)/python experiments/deep_recovery.py progress=false $(ARGS)

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

# Prune one random dense layer with ADMM and cvxpy, side by side
layer-demo: $(STAMP)
	$(BIN)/python experiments/layer_demo.py $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ''

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

# Our ADMM vs the paper's fixed-ρ ADMM and cvxpy at equal accuracy (about 40 min)
bench: $(STAMP)
	$(BIN)/python experiments/solver_benchmark.py $(ARGS)
