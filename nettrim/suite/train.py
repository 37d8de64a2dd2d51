"""Small reference ReLU networks the experiments prune: trained with scikit-learn
(:func:`fit_relu_mlp`) or, with dropout and an ℓ₁ penalty as the NIPS supplement's H2O
networks were, with PyTorch (:func:`train_torch_mlp`)."""

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


#: H2O deep learning's defaults that :func:`train_torch_mlp` matches (H2O-3 documentation):
#: activation RectifierWithDropout with hidden dropout 0.5, no input dropout, l1 = l2 = 0,
#: 10 epochs, mini-batch 1, ADADELTA with rho 0.99 and epsilon 1e-8, UniformAdaptive (Glorot
#: uniform) initial weights, softmax cross-entropy. Not matched: H2O standardises the inputs
#: (the spirals are already of unit scale) and trains asynchronously (Hogwild) on several
#: threads; the supplement states neither its epochs nor its data size.
H2O_DEFAULTS = {"dropout": 0.5, "input_dropout": 0.0, "l1": 0.0, "l2": 0.0, "epochs": 10,
                "batch_size": 1, "optimizer": "adadelta", "learning_rate": 1.0}

#: The authors' recipe for their MNIST networks (DNNToolBox/Net-Trim, ``mnist_fc`` and
#: ``mnist_lenet``: ``train_regulized_network`` and the models' defaults): Adam 1e-3 decayed by
#: 0.98 every 500 steps (staircase), ℓ₂ 0.004·Σw²/2 on the weights, dropout keep-prob 0.5
#: (the FC net drops its inputs too), batch 100, 8,000 steps, weights N(0, 0.1²) truncated at
#: ±2σ and biases 0.1, inputs in [0, 1].
AUTHORS_RECIPE = {"dropout": 0.5, "input_dropout": 0.5, "l1": 0.0, "l2": 0.004,
                  "iterations": 8000, "batch_size": 100, "optimizer": "adam",
                  "learning_rate": 1e-3, "decay_rate": 0.98, "decay_steps": 500,
                  "init": "truncnorm"}

_OPTIMIZERS = ("adadelta", "adam", "sgd")
_INITS = ("xavier", "truncnorm")


def train_torch_mlp(X, labels, hidden, *, dropout: float = 0.5, input_dropout: float = 0.0,
                    l1: float = 0.0, l2: float = 0.0, epochs: int = 10, batch_size: int = 1,
                    optimizer: str = "adadelta", learning_rate: float = 1.0,
                    iterations: int | None = None, decay_rate: float = 1.0,
                    decay_steps: int = 1, init: str = "xavier", seed: int = 0) -> Network:
    """Train a ReLU MLP classifier n₀·H₁·…·K with dropout and ℓ₁/ℓ₂ penalties (PyTorch).

    The defaults are H2O deep learning's (:data:`H2O_DEFAULTS`), the trainer of the NIPS
    supplement's networks; :data:`AUTHORS_RECIPE` is the one of the Net-Trim authors' MNIST
    scripts. Dropout is inverted (scaled at training time), so the returned network is the
    plain ReLU network used at test time. Runs in float64 on one thread, seeded: the same
    arguments give the same network.

    Parameters
    ----------
    X : array of shape (n₀, P)
        Inputs, one sample per column.
    labels : array of shape (P,)
        Integer classes 0..K−1.
    hidden : sequence of int
        Hidden widths H₁, H₂, ….
    dropout : float in [0, 1), default 0.5
        Dropout ratio after every hidden ReLU.
    input_dropout : float in [0, 1), default 0
    l1, l2 : float, default 0
        Penalties l1·Σ|w| and (l2/2)·Σw² on the weights (not the biases), added to the mean
        cross-entropy of each mini-batch, as in H2O (and TensorFlow's ``l2_loss``).
    epochs : int, default 10
        Passes over the data (a fresh permutation each), unless ``iterations`` is given.
    batch_size : int, default 1
    optimizer : {"adadelta", "adam", "sgd"}, default "adadelta"
        ADADELTA with ρ = 0.99, ε = 1e-8 (H2O's adaptive rate), Adam, or plain SGD.
    learning_rate : float, default 1.0
        ADADELTA's scale (1 is Zeiler's and H2O's) or Adam's / SGD's step.
    iterations : int, optional
        Mini-batch steps in all (epochs follow one another, each a fresh permutation).
    decay_rate, decay_steps : float, int
        The step is learning_rate·decay_rate^⌊k/decay_steps⌋ at step k (TensorFlow's staircase
        exponential decay); the default 1.0 keeps it constant.
    init : {"xavier", "truncnorm"}, default "xavier"
        Glorot uniform weights and zero biases (H2O's UniformAdaptive), or N(0, 0.1²) truncated
        at ±2σ and biases 0.1 (the authors').
    seed : int, default 0
        Initial weights, batch order and dropout masks.

    Returns
    -------
    Network
    """
    import torch

    X, labels = _check_data(X, labels)
    hidden = tuple(check_int(h, "hidden", low=1) for h in hidden)
    dropout = check_scalar(dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
    input_dropout = check_scalar(input_dropout, "input_dropout", low=0.0, high=1.0,
                                 high_inclusive=False)
    schedule = _schedule(X.shape[1], epochs, iterations, batch_size)
    K = int(labels.max()) + 1
    sizes = (X.shape[0], *hidden, K)
    seed = check_int(seed, "seed", low=0)

    def build():
        linears = [torch.nn.Linear(a, b, dtype=torch.float64)
                   for a, b in zip(sizes[:-1], sizes[1:])]
        _initialise(linears, init)
        layers = [torch.nn.Dropout(input_dropout)]
        for lin in linears[:-1]:
            layers += [lin, torch.nn.ReLU(), torch.nn.Dropout(dropout)]
        return torch.nn.Sequential(*layers, linears[-1]), linears

    model = fit_torch(build, X.T, labels, l1=l1, l2=l2, optimizer=optimizer,
                      learning_rate=learning_rate, decay_rate=decay_rate,
                      decay_steps=decay_steps, seed=seed, **schedule)
    return Network.from_torch(torch.nn.Sequential(*[m for m in model
                                                   if not isinstance(m, torch.nn.Dropout)]))


#: The authors' LeNet (``mnist_lenet/BasicLenet.py``): conv 5×5×1×32 → pool 2 → conv
#: 5×5×32×64 → pool 2 → FC 3136×512 → FC 512×10, ReLU, SAME padding; dropout before each FC
#: layer and the ℓ₂ penalty on the FC weights only, otherwise :data:`AUTHORS_RECIPE`.
LENET = {"image_shape": (1, 28, 28), "channels": (32, 64), "kernel": 5, "pool": 2,
         "hidden": (512,)}


def train_torch_convnet(X, labels, *, image_shape=(1, 28, 28), channels=(32, 64),
                        kernel: int = 5, pool: int = 2, hidden=(512,), dropout: float = 0.5,
                        l1: float = 0.0, l2: float = 0.004, epochs: int = 10,
                        batch_size: int = 100, optimizer: str = "adam",
                        learning_rate: float = 1e-3, iterations: int | None = 8000,
                        decay_rate: float = 0.98, decay_steps: int = 500,
                        init: str = "truncnorm", seed: int = 0) -> Network:
    """Train a LeNet-style ReLU classifier with PyTorch (float32, one thread, seeded):
    convolutions (SAME padding, stride 1) each followed by ReLU and max pooling, then dense
    ReLU layers and the logits. The defaults are the authors' LeNet (:data:`LENET`) and
    recipe: dropout before every dense layer, the ℓ₁/ℓ₂ penalties on the dense weights only.

    Parameters
    ----------
    X : array of shape (C·H·W, P)
        Images flattened in (channel, row, column) order, one per column.
    labels : array of shape (P,)
    image_shape : (C, H, W), default (1, 28, 28)
    channels : sequence of int, default (32, 64)
        Output channels of each convolution.
    kernel, pool : int, default 5, 2
        Kernel side (odd) and pooling window of every convolution.
    hidden : sequence of int, default (512,)
        Dense ReLU widths after the convolutions.
    dropout, l1, l2, epochs, batch_size, optimizer, learning_rate, iterations, decay_rate,
    decay_steps, init, seed
        As in :func:`train_torch_mlp`.

    Returns
    -------
    Network
        With a :class:`~nettrim.network.Conv` per convolution.
    """
    import torch

    nn = torch.nn
    X, labels = _check_data(X, labels)
    shape = tuple(check_int(v, "image_shape", low=1) for v in image_shape)
    if len(shape) != 3 or int(np.prod(shape)) != X.shape[0]:
        raise ValueError(f"image_shape must be (C, H, W) with C·H·W = {X.shape[0]} (the rows of "
                         f"X); got {tuple(image_shape)}")
    channels = tuple(check_int(c, "channels", low=1) for c in channels)
    kernel, pool = check_int(kernel, "kernel", low=1), check_int(pool, "pool", low=1)
    if kernel % 2 == 0:
        raise ValueError(f"kernel must be odd (SAME padding); got {kernel}")
    side = np.array(shape[1:])
    for _ in channels:
        if np.any(side % pool):
            raise ValueError(f"pool {pool} does not divide the {side[0]}×{side[1]} maps")
        side = side // pool
    hidden = tuple(check_int(h, "hidden", low=1) for h in hidden)
    dropout = check_scalar(dropout, "dropout", low=0.0, high=1.0, high_inclusive=False)
    schedule = _schedule(X.shape[1], epochs, iterations, batch_size)
    K = int(labels.max()) + 1
    flat = channels[-1] * int(np.prod(side)) if channels else int(np.prod(shape))

    def build():
        convs = [nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2)
                 for c_in, c_out in zip((shape[0], *channels[:-1]), channels)]
        sizes = (flat, *hidden, K)
        linears = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        _initialise(convs + linears, init)
        layers = [nn.Unflatten(1, shape)]
        for conv in convs:
            layers += [conv, nn.ReLU(), nn.MaxPool2d(pool)]
        layers.append(nn.Flatten())
        for lin in linears[:-1]:
            layers += [nn.Dropout(dropout), lin, nn.ReLU()]
        return nn.Sequential(*layers, nn.Dropout(dropout), linears[-1]), linears

    model = fit_torch(build, X.T.astype(np.float32), labels, l1=l1, l2=l2, optimizer=optimizer,
                      learning_rate=learning_rate, decay_rate=decay_rate,
                      decay_steps=decay_steps, seed=check_int(seed, "seed", low=0), **schedule)
    return Network.from_torch(nn.Sequential(*[m for m in model
                                              if not isinstance(m, nn.Dropout)]))


def _check_data(X, labels):
    X = check_matrix(X, "X")
    labels = np.asarray(labels)
    if labels.shape != (X.shape[1],):
        raise ValueError(f"labels must have one entry per column of X ({X.shape[1]}); got "
                         f"shape {labels.shape}")
    return X, labels


def _schedule(n: int, epochs, iterations, batch_size) -> dict:
    """Steps and batch size, validated: ``iterations`` when given, else epochs·⌈n/batch⌉."""
    batch_size = check_int(batch_size, "batch_size", low=1)
    if iterations is None:
        steps = check_int(epochs, "epochs", low=1) * -(-n // batch_size)
    else:
        steps = check_int(iterations, "iterations", low=1)
    return {"iterations": steps, "batch_size": batch_size}


def _initialise(linears, init: str) -> None:
    import torch

    if init not in _INITS:
        raise ValueError(f"init must be one of {list(_INITS)}; got {init!r}")
    for lin in linears:
        if init == "xavier":                           # H2O's UniformAdaptive
            torch.nn.init.xavier_uniform_(lin.weight)
            torch.nn.init.zeros_(lin.bias)
        else:                                          # the authors' truncnorm(−2, 2)·0.1, 0.1
            torch.nn.init.trunc_normal_(lin.weight, 0.0, 0.1, -0.2, 0.2)
            torch.nn.init.constant_(lin.bias, 0.1)


def fit_torch(build, inputs, labels, *, iterations: int, batch_size: int, l1: float = 0.0,
              l2: float = 0.0, optimizer: str = "adam", learning_rate: float = 1e-3,
              decay_rate: float = 1.0, decay_steps: int = 1, seed: int = 0, masks=None,
              callback=None):
    """The training loop every PyTorch recipe shares: mini-batch steps of the mean
    cross-entropy plus l1·Σ|w| + (l2/2)·Σw² over the penalised weights, batches drawn epoch by
    epoch from fresh permutations, a staircase-decayed step; seeded and on one thread, with the
    global torch generator and thread count left as they were.

    Parameters
    ----------
    build : callable
        ``build() → (model, penalised)``, called under the seed: the model (in training mode it
        may hold dropout) and the modules whose ``weight`` the penalties apply to.
    inputs : array of shape (P, ...)
        Samples along the first axis (the model's own layout).
    labels : array of shape (P,)
    iterations, batch_size : int
    l1, l2, optimizer, learning_rate, decay_rate, decay_steps, seed
        See :func:`train_torch_mlp`.
    masks : list of bool arrays (or None), optional
        One per penalised module, shaped as its ``weight``: weights outside the mask stay zero
        (each step is projected back onto the mask: masked fine-tuning).
    callback : callable, optional
        ``callback(k, model)`` after step k = 1, 2, … (checkpoints); the model is in training
        mode and must not be changed.

    Returns
    -------
    torch.nn.Module
        The trained model, in evaluation mode.
    """
    import torch

    l1, l2 = check_scalar(l1, "l1", low=0.0), check_scalar(l2, "l2", low=0.0)
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {list(_OPTIMIZERS)}; got {optimizer!r}")
    learning_rate = check_scalar(learning_rate, "learning_rate", low=0.0, low_inclusive=False)
    decay_rate = check_scalar(decay_rate, "decay_rate", low=0.0, low_inclusive=False,
                              high=1.0)
    decay_steps = check_int(decay_steps, "decay_steps", low=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):      # dropout draws from the global generator
            torch.manual_seed(seed)
            model, penalised = build()
            dtype = next(model.parameters()).dtype
            if masks is not None and len(masks) != len(penalised):
                raise ValueError(f"masks must have one entry per penalised module "
                                 f"({len(penalised)}); got {len(masks)}")
            kept = [(m, torch.as_tensor(mask, dtype=dtype))
                    for m, mask in zip(penalised, masks or []) if mask is not None]
            with torch.no_grad():
                for m, mask in kept:
                    m.weight.mul_(mask)
            opt = {"adadelta": lambda p: torch.optim.Adadelta(p, lr=learning_rate, rho=0.99,
                                                              eps=1e-8),
                   "adam": lambda p: torch.optim.Adam(p, lr=learning_rate),
                   "sgd": lambda p: torch.optim.SGD(p, lr=learning_rate)}[optimizer](
                model.parameters())
            decay = torch.optim.lr_scheduler.StepLR(opt, decay_steps, decay_rate)
            data = torch.as_tensor(np.asarray(inputs), dtype=dtype)
            targets = torch.as_tensor(np.asarray(labels), dtype=torch.long)
            order = torch.Generator().manual_seed(seed)
            model.train()
            perm, pos = torch.randperm(len(targets), generator=order), 0
            for step in range(iterations):
                if pos >= len(perm):
                    perm, pos = torch.randperm(len(targets), generator=order), 0
                batch = perm[pos:pos + batch_size]
                pos += batch_size
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(data[batch]), targets[batch])
                if l1 or l2:
                    for m in penalised:
                        loss = loss + l1 * m.weight.abs().sum() \
                            + 0.5 * l2 * m.weight.pow(2).sum()
                loss.backward()
                opt.step()
                decay.step()
                if kept:
                    with torch.no_grad():
                        for m, mask in kept:
                            m.weight.mul_(mask)
                if callback is not None:
                    callback(step + 1, model)
            model.eval()
    finally:
        torch.set_num_threads(threads)
    return model


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


#: The authors' fine-tuning (``fine_tuning`` in their MNIST scripts): plain SGD at 0.01 decayed
#: by 0.98 every 500 steps, batch 100, no dropout, on the pruned network's sparsity pattern.
AUTHORS_FINETUNE = {"batch_size": 100, "optimizer": "sgd", "learning_rate": 0.01,
                    "decay_rate": 0.98, "decay_steps": 500}


def finetune_torch(net: Network, X, labels, *, epochs=(10, 20, 30), batch_size: int = 100,
                   optimizer: str = "sgd", learning_rate: float = 0.01,
                   decay_rate: float = 0.98, decay_steps: int = 500,
                   seed: int = 0) -> list[Network]:
    """Masked fine-tuning of a pruned network with PyTorch (float32, one thread, seeded): only
    the surviving weights train, biases are free. The defaults are the authors'
    (:data:`AUTHORS_FINETUNE`), checkpointed after each of ``epochs``.

    Parameters
    ----------
    net : Network
        The pruned network; its zero pattern is kept.
    X, labels : training data (features × samples) and integer classes.
    epochs : int or sequence of int, default (10, 20, 30)
        Checkpoints, in passes over the data (⌈P/batch_size⌉ steps each); one run to the last.
    batch_size, optimizer, learning_rate, decay_rate, decay_steps, seed
        As in :func:`fit_torch`.

    Returns
    -------
    list of Network
        The network at each checkpoint, in the order of ``epochs``.
    """
    X, labels = _check_data(X, labels)
    epochs = [epochs] if np.ndim(epochs) == 0 else list(epochs)
    epochs = [check_int(e, "epochs", low=1) for e in epochs]
    if epochs != sorted(set(epochs)):
        raise ValueError(f"epochs must be increasing; got {epochs}")
    per_epoch = -(-X.shape[1] // check_int(batch_size, "batch_size", low=1))
    marks = {e * per_epoch: i for i, e in enumerate(epochs)}
    out = [None] * len(epochs)

    def build():
        model = net.to_torch()
        return model, [m for m in model if hasattr(m, "weight")]

    def keep(step, model):
        if step in marks:
            out[marks[step]] = Network.from_torch(model)

    fit_torch(build, X.T, labels, iterations=epochs[-1] * per_epoch, batch_size=batch_size,
              optimizer=optimizer, learning_rate=learning_rate, decay_rate=decay_rate,
              decay_steps=decay_steps, seed=check_int(seed, "seed", low=0),
              masks=[(m.weight != 0).numpy() for m in build()[1]], callback=keep)
    return out


def logits(net: Network, X, batch: int = 1000) -> np.ndarray:
    """The network's outputs on X (one column per sample): numpy for a dense network, PyTorch
    (float32, one thread, ``batch`` samples at a time) for one with convolutions, whose numpy
    im2col pass is far slower on many images."""
    if all(c is None for c in net.convs):
        return net.forward(X)[-1]
    import torch

    X = check_matrix(X, "X")
    model = net.to_torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            out = [model(torch.as_tensor(X[:, s:s + batch].T, dtype=torch.float32)).numpy()
                   for s in range(0, X.shape[1], batch)]
    finally:
        torch.set_num_threads(threads)
    return np.concatenate(out).T.astype(float)


def accuracy(net: Network, X, labels) -> float:
    """Fraction of columns of X whose arg-max logit is the label (:func:`logits`)."""
    return float(np.mean(logits(net, X).argmax(axis=0) == np.asarray(labels)))


__all__ = ["H2O_DEFAULTS", "AUTHORS_RECIPE", "train_relu_mlp", "train_torch_mlp", "fit_torch",
           "fit_relu_mlp",
           "AUTHORS_FINETUNE", "finetune_torch", "LENET", "train_torch_convnet",
           "finetune_masked", "logits", "accuracy"]
