"""Figures from tidy tables (trial tables and their summaries), never from solver objects
(the one exception, :func:`decision_regions`, draws networks' predictions on a grid).

Theory is drawn in lines (solid: δ/q prediction; dashed: fitted C·s·log(N/s)); data in markers
or colour. Every function returns the figure; :func:`save` writes PNG and PDF. One module per
family: :mod:`~nettrim.suite.plots.recovery` (the theory studies),
:mod:`~nettrim.suite.plots.pruning` (the pruning studies), :mod:`~nettrim.suite.plots.base`
(what they share).
"""

from .base import save
from .pruning import (
    accuracy_vs_compression,
    conv_filters,
    decision_regions,
    layer_density,
    layer_nnz,
    per_neuron_vs_features,
    robustness,
    samples_sweep,
    sparsity_vs_discrepancy,
    weight_histograms,
)
from .recovery import (
    agreement,
    collapse,
    deep_recovery,
    finite_size,
    law_shapes,
    noisy_recovery,
    overlay,
    overlay_design,
    per_vector,
    phase_diagram,
    scale_agreement,
    transition_collapse,
)

__all__ = ["save", "phase_diagram", "collapse", "overlay", "overlay_design", "agreement",
           "noisy_recovery", "finite_size", "law_shapes", "per_vector", "scale_agreement",
           "transition_collapse", "deep_recovery", "sparsity_vs_discrepancy",
           "decision_regions", "accuracy_vs_compression", "robustness", "layer_nnz",
           "layer_density", "conv_filters", "samples_sweep", "weight_histograms",
           "per_neuron_vs_features"]
