"""Where the parallel work runs: a process pool on this machine, or a Dask cluster.

Simulation shards (``genomics.simulation.run``), chunks of summary statistics
(``genomics.baselines.abc.statistics_table``) and chunks of replicates to encode
(``genomics.pipeline.encode.encode_data``) are independent tasks handed to a
``concurrent.futures.Executor``. ``executor`` gives one of three:

- None: the caller's own way, a process pool of ``workers`` processes for
  the simulations (the default: all cores), this process for the rest;
- ``scheduler="tcp://HOST:PORT"``: the executor of a ``dask.distributed``
  client connected to a running cluster (a ``dask scheduler`` with
  ``dask worker`` processes, or ``dask_jobqueue.SLURMCluster`` on an HPC
  system; the README has a recipe);
- ``dask_local=N``: a ``distributed.LocalCluster`` of N worker processes
  (one thread each) started here and closed at the end: the Dask path on one
  machine, with Dask's handling of lost workers (its dashboard on a free port).

The results do not depend on which: every task is seeded by what it computes
(a replicate's seed derives from the master seed and its index), and the
results are written by this process in the manifest's order of files. Dask
re-runs the tasks of a worker that dies on another worker, and a re-run
of ``genomics simulate`` keeps the shards already written.

Dask is an optional extra: ``pip install -e ".[cluster]"``.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import os
from collections.abc import Callable, Iterable, Iterator

from genomics.errors import SettingError, braces_doubled

INSTALL = "pip install -e \".[cluster]\" (dask.distributed)"


def check_options(scheduler: str | None, dask_local: int | None, workers: int | None) -> None:
    """One sentence for contradictory or malformed choices, before any work."""
    given = [name for name, value in (("{scheduler}", scheduler), ("{dask_local}", dask_local),
                                      ("{workers}", workers)) if value is not None]
    if len(given) > 1:
        raise SettingError(f"choose one of {{workers}}, {{scheduler}} and {{dask_local}}, got {' and '.join(given)}")
    if scheduler is not None and not (isinstance(scheduler, str) and ":" in scheduler):
        raise SettingError("{scheduler} must be a Dask scheduler address such as tcp://10.0.0.5:8786, got "
                           + braces_doubled(repr(scheduler)))
    if dask_local is not None and (not isinstance(dask_local, int) or isinstance(dask_local, bool) or dask_local < 1):
        raise SettingError(f"{{dask_local}} must be a positive number of worker processes, got "
                           f"{braces_doubled(repr(dask_local))}")


def _distributed():  # noqa: ANN202 - the module, imported only when a cluster is asked for
    try:
        import distributed  # noqa: PLC0415
    except ImportError:
        raise ValueError(f"a Dask cluster needs the distributed package: {INSTALL}") from None
    return distributed


@contextlib.contextmanager
def executor(scheduler: str | None = None, dask_local: int | None = None, workers: int | None = None,
             timeout: str = "20s") -> Iterator[concurrent.futures.Executor | None]:
    """The Dask executor the options ask for (a local cluster closed when the block ends); None without one,
    for the caller's own process pool of ``workers``."""
    check_options(scheduler, dask_local, workers)
    if scheduler is None and dask_local is None:
        yield None
        return
    distributed = _distributed()
    with contextlib.ExitStack() as stack:
        if dask_local is not None:
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=dask_local, threads_per_worker=1, processes=True, dashboard_address=":0"))
            client = stack.enter_context(distributed.Client(cluster))
        else:
            try:
                client = stack.enter_context(distributed.Client(scheduler, timeout=timeout))
            except (OSError, TimeoutError) as error:
                raise ValueError(f"cannot reach the Dask scheduler at {scheduler!r}: {error}") from None
        yield client.get_executor()


def gathered(executor: concurrent.futures.Executor, function: Callable, calls: Iterable[tuple],
             ahead: int | None = None) -> list:
    """``function(*arguments)`` for each tuple of ``calls``, run by ``executor``; the results in the order of
    ``calls``. When one fails, or the caller is interrupted, the tasks not yet begun are cancelled.
    ``ahead``: at most that many tasks submitted and unfinished at a time, ``calls`` drawn from as they finish
    (a generator that reads its arguments from disk then holds ``ahead`` tasks' arguments); None: all at once."""
    futures: collections.deque = collections.deque()
    results = []
    try:
        for arguments in calls:
            futures.append(executor.submit(function, *arguments))
            if ahead is not None and len(futures) >= ahead:
                results.append(futures.popleft().result())
        while futures:
            results.append(futures.popleft().result())
        return results
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def describe(scheduler: str | None, dask_local: int | None, workers: int | None) -> str:
    """Where the work runs, in words, for the command line's first line."""
    if scheduler is not None:
        return f"on the Dask cluster at {scheduler}"
    if dask_local is not None:
        return f"on a local Dask cluster of {dask_local} worker processes"
    return f"in {workers or os.cpu_count() or 1} local processes"
