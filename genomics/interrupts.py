"""Interruptions: signals become exceptions, worker processes end with their parent, a folder has one writer.

Three promises of the ``genomics`` command rest on this module:

* SIGINT (Ctrl-C) and SIGTERM raise ``Interrupted`` (a ``KeyboardInterrupt``
  that knows its signal) in the main thread, so that every ``finally`` and
  ``except BaseException`` on the way up runs: half-written files are removed,
  worker pools are ended, and the command line prints one line and exits
  with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
* No process outlives a command. Worker pools are made by ``worker_pool``:
  each worker asks Linux to SIGKILL it when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``, the backstop for a parent killed by SIGKILL,
  which no handler sees) and ignores SIGINT (Ctrl-C reaches the whole
  foreground process group; the parent ends the workers itself, without a
  traceback from each of them). ``end_descendants`` terminates whatever the
  command started and is still running (a local Dask cluster, say).
* A folder written by ``simulate`` has one writer at a time: ``FolderLock``
  holds ``fcntl.flock`` on ``FOLDER/.genomics.lock`` (the holder's pid
  inside), and a second writer is refused in one sentence naming that pid.
  The holder removes the lock file when it is done (a newcomer that opened
  the old file checks, once it holds the lock, that the file is still the
  one at that path); a holder that dies leaves the file, whose lock the
  kernel released, and the next writer takes it.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import errno
import os
import signal
import sys
import threading
import time
from typing import Any

try:  # POSIX only: elsewhere folders are not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

LOCK_FILE = ".genomics.lock"
PR_SET_PDEATHSIG = 1  # linux/prctl.h
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The command was stopped by signal ``signum``; the shell's exit status for it is 128 + ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)

    @property
    def exit_status(self) -> int:
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


class NoSpaceLeft(OSError):
    """The disk filled up (ENOSPC); the message says what was being written and what is kept."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.ENOSPC, message)

    def __str__(self) -> str:
        return self.strerror


class FolderBusy(ValueError):
    """Another process holds the folder's lock; the message names the folder and that process's pid."""


def signal_of(error: BaseException) -> int:
    """The signal that an interruption stands for (SIGINT for a plain KeyboardInterrupt)."""
    return getattr(error, "signum", signal.SIGINT)


def raise_on_signals(signums: tuple[int, ...] = SIGNALS) -> dict[int, Any] | None:
    """Make each of ``signums`` raise ``Interrupted`` in the main thread; the previous handlers, to restore.

    Only the first signal raises: later ones (a second Ctrl-C while the
    first one's clean-up runs) are ignored, so that the clean-up finishes.
    None (and nothing changed) outside the main thread, where Python allows
    no handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    received: list[int] = []

    def interrupt(signum: int, frame: Any) -> None:
        if received:
            return
        received.append(signum)
        raise Interrupted(signum)

    return {signum: signal.signal(signum, interrupt) for signum in signums}


def restore_handlers(previous: dict[int, Any] | None) -> None:
    """Put back the handlers that ``raise_on_signals`` returned."""
    for signum, handler in (previous or {}).items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def die_with_parent(parent: int) -> None:
    """A worker process's initializer: SIGKILL this process when ``parent`` dies (Linux), ignore Ctrl-C, end
    on SIGTERM.

    The kernel sends the signal when the thread that started the worker
    ends; ``worker_pool``'s workers are started by the thread that first
    submits (all of them at once under the fork start method), the main
    thread in this package. A parent already gone before the request was
    made is caught by comparing ``os.getppid()``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork: SIGTERM ends it
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no libc symbol: the parent's own clean-up still ends the worker
            pass
    if os.getppid() != parent:
        os._exit(1)


def worker_pool(workers: int | None) -> concurrent.futures.ProcessPoolExecutor:
    """A process pool of ``workers`` (None: all cores) whose workers die with this process (``die_with_parent``)."""
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                                                  initializer=die_with_parent, initargs=(os.getpid(),))


def terminate_pool(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """End a pool's workers now (SIGTERM, then SIGKILL after a second) and shut the pool down without waiting
    for the tasks they were running.

    Cancel none of the pool's futures before: Python 3.11's pool, finding
    its workers gone, fails each pending future, and one already cancelled
    makes its manager thread die with a traceback (InvalidStateError).
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(1.0)
        if process.is_alive():
            process.kill()
            process.join(1.0)
    if not any(process.is_alive() for process in processes):
        _close_result_writer(pool)
    pool.shutdown(wait=False, cancel_futures=True)
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        manager.join(MANAGER_GRACE)
    for process in processes:  # the manager may have been reaping them meanwhile: wait until each is collected
        process.join(MANAGER_GRACE)
        if process.is_alive():
            process.kill()
            process.join(1.0)


MANAGER_GRACE = 10.0  # seconds given to a pool's manager thread to end once its workers are gone


def _close_result_writer(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Close this process's copy of the write end of ``pool``'s result pipe, once no worker is left to write.

    A worker killed while sending its result leaves half a message in the
    pipe, and the pool's manager thread waits in ``recv()`` for the rest:
    no end-of-file ever comes, because this process holds the write end
    too (the queue was made here). With that end closed the wait ends in
    ``EOFError``, which the manager treats as a broken pool: it fails the
    pending futures and exits, so neither ``shutdown`` nor the
    interpreter's exit (which joins the manager thread) waits for ever.
    """
    queue = getattr(pool, "_result_queue", None)
    writer = getattr(queue, "_writer", None)
    if writer is not None:
        writer.close()


def descendants(pid: int | None = None) -> list[int]:
    """The pids of every process below ``pid`` (default: this one), children first; read from /proc (Linux)."""
    pid = os.getpid() if pid is None else pid
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:  # gone meanwhile
            continue
        if fields[0] != "Z":  # a zombie has ended already
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, queue = [], list(children.get(pid, []))
    while queue:
        child = queue.pop(0)
        found.append(child)
        queue.extend(children.get(child, []))
    return found


def end_descendants(keep: set[int] | frozenset = frozenset(), grace: float = 2.0) -> list[int]:
    """SIGTERM every process below this one except ``keep`` (those that were there before the command), then
    SIGKILL those still running after ``grace`` seconds; the pids that were ended."""
    targets = [pid for pid in descendants() if pid not in keep]
    for pid in targets:
        _send(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(is_running(pid) for pid in targets):
        _reap(targets)
        time.sleep(0.05)
    for pid in targets:
        if is_running(pid):
            _send(pid, signal.SIGKILL)
    _reap(targets)
    return targets


def _send(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended), read from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _reap(pids: list[int]) -> None:
    """Collect the exit status of those of ``pids`` that are this process's ended children (no zombies)."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # not our child (a grandchild), or collected already
            pass


class FolderLock:
    """``with FolderLock(folder):`` this process is the folder's only writer, or ``FolderBusy`` says who is.

    The lock is ``fcntl.flock`` (exclusive, not waiting) on ``folder/.genomics.lock``,
    which holds the pid of the process that has it.
    """

    def __init__(self, folder: str) -> None:
        self.folder, self.path = folder, os.path.join(folder, LOCK_FILE)
        self._descriptor: int | None = None

    def __enter__(self) -> "FolderLock":
        if fcntl is None:  # pragma: no cover - Windows
            return self
        while self._descriptor is None:
            try:
                descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise ValueError(f"cannot write in {self.folder!r}: {error.strerror or error}") from None
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(descriptor, 32).decode("ascii", "replace").strip() or "unknown"
                os.close(descriptor)
                raise FolderBusy(f"{self.folder!r} is being written by another genomics process (pid {holder}); "
                                 "wait for it to finish, or write into another folder") from None
            if not _same_file(descriptor, self.path):  # its holder removed it meanwhile: lock the new one
                os.close(descriptor)
                continue
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode("ascii"))
            self._descriptor = descriptor
        return self

    def __exit__(self, *exception: Any) -> None:
        if self._descriptor is not None:
            try:
                os.remove(self.path)  # while still holding the lock: the folder is left as it was
            except OSError:
                pass
            os.close(self._descriptor)  # closing the descriptor releases the flock
            self._descriptor = None


def _same_file(descriptor: int, path: str) -> bool:
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(path))
    except OSError:
        return False
