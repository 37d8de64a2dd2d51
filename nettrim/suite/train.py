"""Small reference ReLU networks trained with scikit-learn (the networks the experiments prune)."""

from __future__ import annotations

import warnings

import numpy as np

from .._validation import check_int, check_matrix, check_scalar
from ..network import Network


def train_relu_mlp(X, labels, hidden, **kwargs) -> Network:
    """Train a ReLU MLP classifier n₀·H₁·…·K (one logit per class) and return it as a Network;
    the arguments are those of :func:`fit_relu_mlp`."""
    return Network.from_sklearn(fit_relu_mlp(X, labels, hidden, **kwargs))


def fit_relu_mlp(X, labels, hidden, *, alpha: float = 0.0, seed: int = 0,
                 max_iter: int = 2000, learning_rate_init: float = 1e-3):
    """Train a ReLU MLP classifier n₀·H₁·…·K (one logit per class): the fitted scikit-learn
    ``MLPClassifier``.

    scikit-learn's ``MLPClassifier`` gives a binary problem a single logit; the paper's networks
    have one per class, so the labels are one-hot encoded (K logistic outputs) and the
    prediction is the arg-max logit.

    Parameters
    ----------
    X : array of shape (n₀, P)
        Inputs, one sample per column.
    labels : array of shape (P,)
        Integer classes 0..K−1.
    hidden : sequence of int
        Hidden widths H₁, H₂, ….
    alpha : float, default 0
        ℓ₂ weight penalty (scikit-learn offers no ℓ₁ penalty).
    seed : int
        Initialisation and batch-order seed.
    max_iter : int
        Adam epochs.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X = check_matrix(X, "X")
    labels = np.asarray(labels)
    if labels.shape != (X.shape[1],):
        raise ValueError(f"labels must have one entry per column of X ({X.shape[1]}); got "
                         f"shape {labels.shape}")
    hidden = tuple(check_int(h, "hidden", low=1) for h in hidden)
    alpha = check_scalar(alpha, "alpha", low=0.0)
    K = int(labels.max()) + 1
    onehot = np.eye(K)[labels]
    mlp = MLPClassifier(hidden, activation="relu", alpha=alpha, random_state=seed,
                        max_iter=check_int(max_iter, "max_iter", low=1),
                        learning_rate_init=learning_rate_init, tol=1e-6, n_iter_no_change=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X.T, onehot)
    return mlp


def finetune_masked(mlp, net: Network, X, labels, *, epochs: int = 5, batch_size: int = 200,
                    learning_rate: float = 1e-4, seed: int = 0) -> Network:
    """Fine-tune only the surviving weights of a pruned network: a few epochs of Adam (with
    scikit-learn's ``partial_fit``, one minibatch at a time), putting the pruned zeros back
    after every step — projected Adam on the network's sparsity pattern. Biases stay free.

    Parameters
    ----------
    mlp : MLPClassifier
        A fitted model of the same shapes, trained by :func:`fit_relu_mlp` (one-hot targets);
        it is not modified.
    net : Network
        The pruned weights to start from; its zero pattern is kept.
    X, labels : training data (features × samples) and integer classes.
    epochs, batch_size, learning_rate, seed : the optimiser's settings.
    """
    X = check_matrix(X, "X")
    labels = np.asarray(labels)
    epochs = check_int(epochs, "epochs", low=0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    model = net.to_sklearn(mlp)
    model.set_params(learning_rate_init=check_scalar(learning_rate, "learning_rate", low=0.0,
                                                     low_inclusive=False))
    # a fresh Adam state: the one from training belongs to the unpruned weights
    if hasattr(model, "_optimizer"):
        del model._optimizer
    masks = [W != 0 for W in net.weights]
    onehot = np.eye(model.coefs_[-1].shape[1])[labels]
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(X.shape[1])
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            model.partial_fit(X[:, batch].T, onehot[batch])
            for W, mask in zip(model.coefs_, masks):
                W *= mask
    return Network.from_sklearn(model)


def accuracy(net: Network, X, labels) -> float:
    """Fraction of columns of X whose arg-max logit is the label."""
    return float(np.mean(net.forward(X)[-1].argmax(axis=0) == np.asarray(labels)))


__all__ = ["train_relu_mlp", "fit_relu_mlp", "finetune_masked", "accuracy"]
