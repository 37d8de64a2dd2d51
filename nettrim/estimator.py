"""A scikit-learn meta-estimator: Net-Trim over an already fitted ReLU MLP (scikit-learn's
``MLPClassifier``/``MLPRegressor``, or a PyTorch classifier through the same bridge).

``NetTrim(mlp, gain=0.1).fit(X)`` prunes ``mlp`` on the inputs X (samples × features, the
scikit-learn way) and then predicts with the pruned copy, so the gain can be chosen by
validation like any hyper-parameter::

    GridSearchCV(NetTrim(mlp), {"gain": [0.02, 0.05, 0.1, 0.2]}, cv=3).fit(X, y)

A fitted ``mlp`` is shared by every clone (it is never modified), so each fold prunes the same
model on that fold's training inputs; its training data may include the fold's validation part,
which makes the scores optimistic for the model but still compares gains on equal terms.

Modelled on ``SelectFromModel(prefit=True)``: parameters are set in ``__init__`` only, what
``fit`` learns ends in an underscore, and the wrapped model is never modified.
"""

from __future__ import annotations

import copy

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from .frameworks import is_torch_module, prune_sklearn, prune_torch
from .schemes import GAMMA, SCHEMES
from .solvers.base import as_solver


def _wrapped_has(attr):
    def check(self):
        # a torch module is wrapped as a classifier of its logits: predict/predict_proba exist
        return is_torch_module(self.estimator) or hasattr(self.estimator, attr)
    return check


def _is_fitted(model) -> bool:
    return is_torch_module(model) or hasattr(model, "coefs_")


def _torch_outputs(module, X):
    """The module's outputs on X (samples × features) as float64 numpy."""
    import torch

    ref = next(module.parameters())
    with torch.no_grad():
        out = module(torch.as_tensor(X, dtype=ref.dtype, device=ref.device))
    return out.detach().cpu().double().numpy()


class NetTrim(MetaEstimatorMixin, BaseEstimator):
    """Prune a fitted scikit-learn ReLU MLP with Net-Trim; predict with the pruned network.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or torch.nn.Sequential
        With ``activation="relu"``. Used as it is when fitted (``prefit``); otherwise a clone
        is fitted on (X, y) first. A torch ``nn.Sequential`` of Linear/ReLU layers is taken as
        trained, and as a classifier whose C ≥ 2 outputs are the logits of classes 0..C−1 (the
        ``CrossEntropyLoss`` convention): ``predict`` is the argmax, ``predict_proba`` the
        softmax, ``score`` the accuracy. To prune a torch regressor use
        :func:`nettrim.prune_torch`.
    scheme : {"cascade", "parallel"}, default "cascade"
    gain : float, default 0.05
        ε_ℓ = gain·‖Y⁽ℓ⁾‖_F (the cascade: layer 1's; later layers follow from γ).
    gamma : float, default 1.1
        The cascade's γ_ℓ (ignored by the parallel scheme).
    solver : Solver or str, default "admm"
        A configured solver such as ``nettrim.ADMM(gap_tol=1e-4)`` — its options are then
        this estimator's nested parameters (``solver__gap_tol`` in a grid search) — or a
        registered name.
    solver_options : dict, optional
        Options for a solver given by name (e.g. ``{"max_iter": 20000}``); not with a
        configured solver.

    Attributes
    ----------
    estimator_ : same type as ``estimator``
        The pruned copy; ``predict``, ``predict_proba`` and ``score`` use it.
    result_ : NetworkResult
        The pruned :class:`~nettrim.Network` and its per-layer table.
    report_ : pandas.DataFrame
        One row per layer: nonzeros before and after, ε, status, time, bounds.
    sparsity_ : float
        Fraction of the weights pruned (biases not counted).
    converged_ : bool
        Whether every layer's solve converged (only then is the pruned network certified).
    n_features_in_ : int
    classes_ : ndarray
        The wrapped classifier's classes (classifiers only; 0..C−1 for a torch module).
    """

    def __init__(self, estimator, *, scheme="cascade", gain=0.05, gamma=GAMMA, solver="admm",
                 solver_options=None):
        self.estimator = estimator
        self.scheme = scheme
        self.gain = gain
        self.gamma = gamma
        self.solver = solver
        self.solver_options = solver_options

    def __sklearn_tags__(self):
        from sklearn.utils import get_tags

        tags = super().__sklearn_tags__()
        if is_torch_module(self.estimator):
            from sklearn.utils import ClassifierTags

            tags.estimator_type, tags.classifier_tags = "classifier", ClassifierTags()
            return tags
        inner = get_tags(self.estimator)  # a classifier when it wraps one, else a regressor
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags, tags.regressor_tags = inner.classifier_tags, inner.regressor_tags
        tags.target_tags = inner.target_tags
        tags.input_tags.sparse = True  # densified for the layer programs; the MLP takes it
        return tags

    def __sklearn_clone__(self):
        # A fitted wrapped model is shared, not cloned (cloning would unfit it): NetTrim never
        # modifies it, so GridSearchCV's clones all prune the same prefit model. An unfitted
        # one is cloned as usual.
        params = self.get_params(deep=False)
        model = params.pop("estimator")
        return type(self)(model if _is_fitted(model) else clone(model),
                          **{k: clone(v, safe=False) for k, v in params.items()})

    def fit(self, X, y=None):
        """Prune the wrapped MLP on the inputs ``X`` (fitting a clone on (X, y) first when it
        is not fitted yet).

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
            The inputs whose responses the pruned network must keep.
        y : array of shape (n_samples,), optional
            Only used to fit an unfitted ``estimator``.

        Returns
        -------
        self : NetTrim
        """
        SCHEMES.get(self.scheme)
        if self.solver_options is not None and not isinstance(self.solver_options, dict):
            raise TypeError(f"solver_options must be a dict of solver options; got "
                            f"{type(self.solver_options).__name__}")
        solver = as_solver(self.solver, self.solver_options)
        X = check_array(X, accept_sparse=("csr", "csc", "coo"), dtype=np.float64)
        model = self.estimator
        if not _is_fitted(model):
            if y is None:
                raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                                 f"y is None (estimator is not fitted, so fit fits it first)")
            model = clone(model).fit(X, y)
        kwargs = {"gain": self.gain, "solver": solver, "gamma": self.gamma}  # γ: cascade only
        dense = X.toarray() if hasattr(X, "toarray") else X  # the layer programs are dense
        if is_torch_module(model):
            n_out = _torch_outputs(model, dense[:1]).shape[1]
            if n_out < 2:
                raise ValueError(f"estimator: a torch module is wrapped as a classifier of its "
                                 f"logits and needs >= 2 outputs; it has {n_out} (prune a "
                                 f"regressor with nettrim.prune_torch)")
            self.estimator_, self.result_ = prune_torch(model, dense, scheme=self.scheme,
                                                        **kwargs)
            self.classes_ = np.arange(n_out)
        else:
            self.estimator_, self.result_ = prune_sklearn(model, dense, scheme=self.scheme,
                                                          **kwargs)
        report = self.result_.report
        self.report_ = report
        self.sparsity_ = float(1 - report["nnz_after"].sum() / report["nnz_before"].sum())
        self.converged_ = self.result_.converged
        self.n_features_in_ = X.shape[1]
        if hasattr(model, "classes_"):
            self.classes_ = copy.copy(model.classes_)
        return self

    @available_if(_wrapped_has("predict"))
    def predict(self, X):
        """Predictions of the pruned network.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self, "estimator_")
        if is_torch_module(self.estimator_):
            return self.classes_[self._torch_logits(X).argmax(axis=1)]
        return self.estimator_.predict(X)

    @available_if(_wrapped_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the pruned network (classifiers).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "estimator_")
        if is_torch_module(self.estimator_):
            from scipy.special import softmax

            return softmax(self._torch_logits(X), axis=1)
        return self.estimator_.predict_proba(X)

    def score(self, X, y, sample_weight=None):
        """The wrapped estimator's score (accuracy or R²) of the pruned network.

        Returns
        -------
        float
        """
        check_is_fitted(self, "estimator_")
        if is_torch_module(self.estimator_):
            from sklearn.metrics import accuracy_score

            return float(accuracy_score(y, self.predict(X), sample_weight=sample_weight))
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def _torch_logits(self, X):
        X = check_array(X, accept_sparse=("csr", "csc", "coo"), dtype=np.float64)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is "
                             f"expecting {self.n_features_in_} features as input")
        return _torch_outputs(self.estimator_, X.toarray() if hasattr(X, "toarray") else X)


__all__ = ["NetTrim"]
