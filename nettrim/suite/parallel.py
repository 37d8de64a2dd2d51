"""Where a sweep's chunks run: joblib's local processes, or a Dask cluster through joblib's
``dask`` backend (the ``parallel`` config group: ``parallel=local`` or ``parallel=dask``).

Results do not depend on the choice: every trial draws from its own SeedSequence and the table
is sorted by its keys, so local, Dask and resumed runs give the same table (tested).
"""

from __future__ import annotations

from contextlib import contextmanager

from joblib import parallel_config

from .._validation import check_int

BACKENDS = ("local", "dask")


def _exit_with_parent(period: float = 1.0) -> None:
    """Loky worker initializer: a daemon thread ends this worker when its parent process
    dies. Loky notices a dead parent only between tasks, so a worker in a long solve of a
    killed run (kill -9, the OOM killer) went on for minutes to hours, holding its core."""
    import os
    import threading
    import time

    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(period)
        os._exit(1)

    threading.Thread(target=watch, name="nettrim-parent-watch", daemon=True).start()


@contextmanager
def backend(config: dict | None = None, n_jobs: int = 1):
    """Context in which joblib runs on the configured backend; yields the ``n_jobs`` to use.

    Parameters
    ----------
    config : dict, optional
        ``{"name": "local"}`` (default: joblib/loky processes, ``n_jobs`` of them) or
        ``{"name": "dask", "address": None | "tcp://host:8786", "n_workers": 2,
        "threads_per_worker": 1}``: with an address, connect to that scheduler (a real
        cluster); without, start a ``dask.distributed.LocalCluster`` for the duration.
        On Dask every worker of the cluster is used (``n_jobs = -1``).
    n_jobs : int
        Local workers (-1: all cores).
    """
    config = dict(config or {})
    name = config.pop("name", "local")
    if name == "local":
        with parallel_config(backend="loky", initializer=_exit_with_parent):
            yield n_jobs
        return
    if name != "dask":
        raise ValueError(f"parallel.name must be one of {list(BACKENDS)}; got {name!r}")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("parallel=dask needs dask.distributed: pip install "
                          "'dask[distributed]' (or the project's 'dask' extra)") from None
    address = config.get("address")
    cluster = None
    if address:
        client = Client(address)
    else:
        cluster = LocalCluster(
            n_workers=check_int(config.get("n_workers", 2), "parallel.n_workers", low=1),
            threads_per_worker=check_int(config.get("threads_per_worker", 1),
                                         "parallel.threads_per_worker", low=1),
            processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        with parallel_config(backend="dask"):
            yield -1
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["BACKENDS", "backend"]
