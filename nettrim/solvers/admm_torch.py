"""The ADMM of :mod:`nettrim.solvers.admm` on PyTorch tensors: its products on any torch device.

The same splitting, over-relaxation, equilibration, ρ rule (:func:`~nettrim.solvers.admm.
rho_step`) and certificate (:func:`~nettrim.solvers.admm.certificate`, on CPU copies of W2 and
ρU1 at each test, in float64): on a CPU in float64 it takes the numpy solver's iterates to
round-off and stops at the same test. What it leaves out: the pattern solve (``polish``, which
decides ε = 0 trials), mixed precision and its float64 promotion, warm starts and callbacks.
One iteration, with A = W1 − U1 and B = W2 − U2:

    kernel form (P < N):  Cᵀ = (A − BᵀX)·K,  W3 = B + X·C,  W3ᵀX = A − Cᵀ   (K = (I + XᵀX)⁻¹)
    primal form (N ≤ P):  W3 = (XXᵀ + I)⁻¹(XAᵀ + B),  W3ᵀX                      (two products)

then the projection onto C (ball on Ω, clip at V on Ωᶜ) and the soft threshold, as in the
numpy solver. Its speed on a GPU has not been measured (none at hand); on this project's
2-core CPU the numpy solver is the one to use.
"""

from __future__ import annotations

import time

import numpy as np

from ..problem import LayerProblem
from .admm import (
    ADMM,
    REPAIR_REACH,
    RHO_FEAS_AIM,
    certificate,
    check_options,
    equilibrate,
    repair_at_test,
    repairable,
    residual_ratio,
    rho_step,
)
from .base import Solver, SolverResult

#: The torch dtypes the iteration runs in.
DTYPES = ("float64", "float32")


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("solver='admm_torch' needs PyTorch: pip install 'nettrim[torch]'") \
            from None
    return torch


def _check_options(*, device="cpu", dtype="float64", **admm_options) -> dict:
    """The options of :func:`solve_admm_torch`, each error naming its option (the registry
    has already refused names it does not take)."""
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}; got {dtype!r}")
    if not isinstance(device, str):
        raise TypeError(f"device must be a torch device name such as 'cpu' or 'cuda'; got "
                        f"{type(device).__name__}")
    options = check_options(**admm_options)
    return {k: options[k] for k in admm_options} | {"device": device, "dtype": dtype}


def _device(torch, name: str):
    """``torch.device(name)``, refused in one line when torch cannot parse it or this machine
    does not have it."""
    try:
        device = torch.device(name)
        torch.empty(0, device=device)
    except (RuntimeError, AssertionError) as err:
        raise ValueError(f"device must be a torch device this machine has; got {name!r} "
                         f"({str(err).splitlines()[0]})") from None
    return device


class _Projection:
    """Π_C on tensors: the ε-ball around Y on Ω (per neuron when ``per_neuron``), the clip
    at V on Ωᶜ; the same map as :meth:`LayerProblem.project`."""

    def __init__(self, problem: LayerProblem, torch, **where):
        self.torch = torch
        self.Y = torch.as_tensor(problem.Y, **where)
        self.on = None if problem.linear else torch.as_tensor(problem.omega, **where)
        self.cap = torch.as_tensor(np.where(problem.omega, np.inf, problem.V), **where)
        self.epsilon = (torch.as_tensor(problem.epsilon_m, **where) if problem.per_neuron
                        else problem.epsilon)
        self.per_neuron = problem.per_neuron

    def __call__(self, Z):
        D = Z - self.Y
        if self.on is not None:
            D *= self.on
        out = self.torch.minimum(Z, self.cap)
        if self.per_neuron:
            norms = self.torch.linalg.vector_norm(D, dim=1)
            shrink = (1 - self.epsilon / norms).clamp(min=0).nan_to_num(0.0)
            return out.sub_(D * shrink[:, None])
        norm = float(self.torch.linalg.vector_norm(D))
        if norm > self.epsilon:
            out.sub_(D, alpha=1 - self.epsilon / norm)
        return out


#: The ADMM options this solver shares with :class:`~nettrim.solvers.admm.ADMM` (the same
#: defaults, read from there).
SHARED = ("rho", "alpha", "gap_tol", "feas_tol", "max_iter", "adaptive_rho", "check_every",
          "gram_scale", "repair")


class ADMMTorch(Solver):
    """The ADMM on PyTorch tensors as a value: ``ADMMTorch(device="cuda", dtype="float32")``.

    Parameters
    ----------
    rho, alpha, gap_tol, feas_tol, max_iter, adaptive_rho, check_every, gram_scale, repair
        As for :class:`~nettrim.solvers.admm.ADMM` (the same defaults).
    device : str, default "cpu"
        The torch device of the iteration, e.g. ``"cuda"``.
    dtype : {"float64", "float32"}, default "float64"
        The iteration's precision on the device; the certificate is float64 either way, so a
        float32 run that cannot reach the tolerances ends at ``max_iter``, not with a
        result.
    """

    name = "admm_torch"
    priority = -10
    requires = ("torch",)

    @classmethod
    def defaults(cls) -> dict:
        shared = {k: v for k, v in ADMM.defaults().items() if k in SHARED}
        return {**shared, "device": "cpu", "dtype": "float64"}

    def _check(self, **options) -> dict:
        return _check_options(**{**self.defaults(), **options})

    def _run(self, problem, checked) -> SolverResult:
        return _solve(problem, checked)


def solve_admm_torch(problem: LayerProblem, **options) -> SolverResult:
    """Solve a :class:`~nettrim.problem.LayerProblem` by ADMM on PyTorch tensors.

    Parameters
    ----------
    problem : LayerProblem
    **options
        Those of :class:`ADMMTorch`.

    Returns
    -------
    SolverResult
        ``W`` (numpy, float64) is the soft-thresholded iterate W2; ``info`` as the numpy
        solver's (``iterations``, ``time``, ``gap``, ``infeasibility``, ``dual_bound``,
        ``primal_residual``, ``dual_residual``, ``rho``) with ``device`` and ``dtype``.
    """
    return ADMMTorch(**options).solve(problem)


def _solve(problem: LayerProblem, o: dict) -> SolverResult:
    """:func:`solve_admm_torch` on checked options ``o`` (every one of them)."""
    torch = _torch()
    t0 = time.perf_counter()
    N, M, P = problem.N, problem.M, problem.P
    problem = equilibrate(problem, o["gram_scale"])[0]
    where = {"dtype": getattr(torch, o["dtype"]), "device": _device(torch, o["device"])}
    X = torch.as_tensor(problem.X, **where)
    kernel = P < N
    gram = X.T @ X if kernel else X @ X.T
    inverse = torch.cholesky_inverse(torch.linalg.cholesky(
        gram + torch.eye(gram.shape[0], **where)))
    project = _Projection(problem, torch, **where)
    rho, alpha = o["rho"], o["alpha"]
    W1 = project(torch.zeros((M, P), **where))
    W2, U1, U2 = (torch.zeros(shape, **where) for shape in ((N, M), (M, P), (N, M)))
    feas_aim = min(o["feas_tol"], RHO_FEAS_AIM)
    interval = next_adapt = 2 * o["check_every"]
    status, gap, infeas, dual, r, s = "max_iter", np.inf, np.inf, np.nan, np.inf, np.inf
    repairing, W_repaired = o["repair"] and repairable(problem), None
    for k in range(1, o["max_iter"] + 1):
        A, B = W1 - U1, W2 - U2
        if kernel:
            Ct = (A - B.T @ X) @ inverse
            W3 = B + X @ Ct.T
            Z = A - Ct
        else:
            W3 = inverse @ (X @ A.T + B)
            Z = W3.T @ X
        V1 = alpha * Z + (1 - alpha) * W1 + U1
        V2 = alpha * W3 + (1 - alpha) * W2 + U2
        W1_old, W2_old = W1, W2
        W1 = project(V1)
        W2 = V2 - V2.clamp(-1 / rho, 1 / rho)      # soft threshold at 1/ρ
        U1, U2 = V1 - W1, V2 - W2
        if k % o["check_every"]:
            continue
        r1, r2 = float(torch.linalg.norm(Z - W1_old)), float(torch.linalg.norm(W3 - W2))
        r = float(np.hypot(r1, r2))
        s = rho * float(torch.linalg.norm(X @ (W1 - W1_old).T + W2 - W2_old))
        adapting = o["adaptive_rho"] and k >= next_adapt
        W2_np, Lam = W2.double().cpu().numpy(), rho * U1.double().cpu().numpy()
        Z_np = W2_np.T @ problem.X
        gap, infeas, dual = certificate(problem, W2_np, Lam, Z=Z_np,
                                        feas_tol=np.inf if adapting else o["feas_tol"])
        if infeas <= o["feas_tol"] and gap <= o["gap_tol"]:
            status = "converged"
            break
        if repairing and infeas <= REPAIR_REACH * o["feas_tol"]:
            fixed = repair_at_test(problem, problem, W2_np, Z_np, Lam, dual, o["feas_tol"],
                                   o["gap_tol"])
            if fixed is not None and fixed[1] <= o["gap_tol"]:
                (W_repaired, gap, infeas, dual), status = fixed, "converged"
                break
            if fixed is not None:
                infeas = fixed[2]
        if adapting:
            next_adapt = k + interval
            primal = max(infeas, residual_ratio(r1, float(torch.linalg.norm(W1))),
                         residual_ratio(r2, float(torch.linalg.norm(W2))))
            new_rho = float(np.clip(rho * rho_step(primal, feas_aim, gap, o["gap_tol"]),
                                    1e-8, 1e8))
            if new_rho != rho:
                U1, U2 = U1 * (rho / new_rho), U2 * (rho / new_rho)   # keep y = ρU fixed
                rho, interval = new_rho, 2 * interval
    W = W2.double().cpu().numpy() if W_repaired is None else W_repaired
    if status != "converged":
        gap, infeas, dual = certificate(problem, W, rho * U1.double().cpu().numpy())
    info = {"solver": "admm_torch", "iterations": k, "time": time.perf_counter() - t0,
            "gap": float(gap), "infeasibility": float(infeas), "dual_bound": float(dual),
            "primal_residual": r, "dual_residual": s, "rho": rho, "device": o["device"],
            "dtype": o["dtype"], "repaired": W_repaired is not None}
    return SolverResult(W=W, status=status, info=info)
