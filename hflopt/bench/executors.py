"""Where benchmark runs execute: local processes or a Dask cluster, behind one interface.

An executor takes a function and a list of tasks and yields the results as
they finish, in any order; :func:`hflopt.bench.run_bench` puts them back in
task order. Every task is :func:`hflopt.bench.runner.run_isolated`, which
runs the solve in a killable child process wherever the executor runs it, so
the results of both executors are the same table.

- :class:`LocalExecutor`: ``jobs`` runs at a time, each a child process of
  this one (threads only wait for them).
- :class:`DaskExecutor`: one Dask task per run on an existing cluster
  (``address``) or a LocalCluster started for the run (``"local"``: ``jobs``
  workers of one thread each, in this process: the work happens in the child
  processes anyway). Results stream back with ``distributed.as_completed``.
  Workers of a remote cluster need hflopt installed and the instance files at
  the same paths (generator specs need no files).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Protocol

from hflopt.errors import InstanceError

__all__ = ["DaskExecutor", "Executor", "LocalExecutor", "executor_for"]

log = logging.getLogger(__name__)


class Executor(Protocol):
    """Runs ``fn(task)`` for every task and yields the results as they finish."""

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]: ...

    def close(self) -> None: ...


class LocalExecutor:
    """``jobs`` runs at a time on this machine."""

    def __init__(self, jobs: int = 1) -> None:
        self.jobs = jobs
        self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="hflopt-bench")

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        futures = [self._pool.submit(fn, task) for task in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InstanceError("--dask needs dask.distributed: pip install 'hflopt[bench]'", field="dask") from None
    return distributed


class DaskExecutor:
    """One Dask task per run, on a scheduler at ``address`` or a LocalCluster (``"local"``).

    Parameters
    ----------
    address:
        ``"local"`` or a scheduler address such as ``tcp://10.0.0.5:8786``.
    jobs:
        Workers of the LocalCluster (ignored for an existing cluster).
    processes:
        LocalCluster workers as processes (True) or threads of this process
        (False, the default: they only wait for the run's child process).
    timeout:
        Seconds to wait for the scheduler.
    """

    def __init__(self, address: str, jobs: int = 1, *, processes: bool = False, timeout: float = 30.0) -> None:
        distributed = _distributed()
        self._cluster = None
        try:
            if address == "local":
                self._cluster = distributed.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=processes,
                                                         dashboard_address=None)
                self.client = distributed.Client(self._cluster)
            else:
                self.client = distributed.Client(address, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            raise InstanceError(f"cannot reach the Dask scheduler: {exc}", field="dask", value=address) from None
        self._as_completed = distributed.as_completed
        log.info("dask: %s", self.client)

    def map_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        futures = [self.client.submit(fn, task, pure=False, key=f"hflopt-bench-{k}-{id(self)}")
                   for k, task in enumerate(tasks)]
        try:
            for future in self._as_completed(futures):
                yield future.result()
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()


def executor_for(jobs: int, dask: str | None) -> Executor:
    """The executor of :class:`~hflopt.bench.BenchParams` ``jobs`` and ``dask``."""
    if dask is None:
        return LocalExecutor(jobs)
    return DaskExecutor(dask, jobs)
