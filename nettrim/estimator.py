"""A scikit-learn meta-estimator: Net-Trim over an already fitted ReLU MLP.

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

from .frameworks import prune_sklearn
from .schemes import SCHEMES


def _wrapped_has(attr):
    def check(self):
        return hasattr(self.estimator, attr)
    return check


class NetTrim(MetaEstimatorMixin, BaseEstimator):
    """Prune a fitted scikit-learn ReLU MLP with Net-Trim; predict with the pruned network.

    Parameters
    ----------
    estimator : MLPClassifier or MLPRegressor
        With ``activation="relu"``. Used as it is when fitted (``prefit``); otherwise a clone
        is fitted on (X, y) first.
    scheme : {"cascade", "parallel"}, default "cascade"
    gain : float, default 0.05
        ε_ℓ = gain·‖Y⁽ℓ⁾‖_F (the cascade: layer 1's; later layers follow from γ).
    gamma : float, default 1.1
        The cascade's γ_ℓ (ignored by the parallel scheme).
    solver : str, default "admm"
        A registered solver name.
    solver_options : dict, optional
        Passed to the solver (e.g. ``{"max_iter": 20000}``).

    Attributes
    ----------
    estimator_ : same type as ``estimator``
        The pruned copy; ``predict``, ``predict_proba`` and ``score`` use it.
    result_ : TrimResult
        The pruned :class:`~nettrim.Network` and its per-layer table.
    report_ : pandas.DataFrame
        One row per layer: nonzeros before and after, ε, status, time, bounds.
    sparsity_ : float
        Fraction of the weights pruned (biases not counted).
    converged_ : bool
        Whether every layer's solve converged (only then is the pruned network certified).
    n_features_in_ : int
    classes_ : ndarray
        The wrapped classifier's classes (classifiers only).
    """

    def __init__(self, estimator, *, scheme="cascade", gain=0.05, gamma=1.1, solver="admm",
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
        return type(self)(model if hasattr(model, "coefs_") else clone(model),
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
        if self.scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {sorted(SCHEMES)}; got {self.scheme!r}")
        if self.solver_options is not None and not isinstance(self.solver_options, dict):
            raise TypeError(f"solver_options must be a dict of solver options; got "
                            f"{type(self.solver_options).__name__}")
        X = check_array(X, accept_sparse=("csr", "csc", "coo"), dtype=np.float64)
        model = self.estimator
        if not hasattr(model, "coefs_"):
            if y is None:
                raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                                 f"y is None (estimator is not fitted, so fit fits it first)")
            model = clone(model).fit(X, y)
        kwargs = {"gain": self.gain, "solver": self.solver, **(self.solver_options or {})}
        if self.scheme == "cascade":
            kwargs["gamma"] = self.gamma
        dense = X.toarray() if hasattr(X, "toarray") else X  # the layer programs are dense
        self.estimator_, self.result_ = prune_sklearn(model, dense, scheme=self.scheme, **kwargs)
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
        return self.estimator_.predict(X)

    @available_if(_wrapped_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the pruned network (classifiers).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    def score(self, X, y, sample_weight=None):
        """The wrapped estimator's score (accuracy or R²) of the pruned network.

        Returns
        -------
        float
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.score(X, y, sample_weight=sample_weight)


__all__ = ["NetTrim"]
