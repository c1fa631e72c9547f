"""Conversions in worker processes, each job within a CPU-time and a memory budget, behind a wall-clock deadline.

Parsing and rendering what clients send is the emulator's most expensive work and the one they control. Done in the
server's process, one hostile document held the GIL and gigabytes of memory for minutes. Here every job runs in a
worker process whose limits the kernel enforces, even inside C code: before each job the worker sets its soft
RLIMIT_CPU to the CPU time it has used plus the budget (the kernel ends it with SIGXCPU past it) and its RLIMIT_AS to
its present size plus the memory budget (allocations past it fail: MemoryError). The parent waits at most
``Limits.deadline`` and kills the worker after that. A worker that died or was killed is replaced by a new one
for the next job; the job that killed it fails with a ConversionError saying why.

The pool is the process's, shared by every box in it (tests make many), and made on first use: nothing is started
at import or when a box starts. Workers come from multiprocessing's "forkserver" (never a plain fork of the
threaded server), else "spawn". A worker ends when its pipe closes (the pool closes them at exit) or when its
parent goes away, so none outlives the emulator. As always with multiprocessing, a worker imports the main script
of the program it serves (not a ``python -m`` module): a script that runs a box must keep its work under
``if __name__ == "__main__":``.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import threading
from pathlib import Path
from typing import Any

from .errors import ConversionError
from .limits import Limits
from .scratch import scratch_path
from .worker_process import serve

log = logging.getLogger("emulator.documents")

MAX_WORKERS = 4  # jobs at once in this process, all boxes together; a further job waits for one to end
MAX_IDLE = 2  # workers kept waiting for the next job
_SIGXCPU = getattr(signal, "SIGXCPU", None) or 1000  # (a number no exit code is, where the signal does not exist)
_SIGKILL = getattr(signal, "SIGKILL", None) or 1000


def run(job: str, args: tuple, limits: Limits) -> Any:
    """Run ``job`` (a name in emulator.documents.jobs.JOBS, or ``module:function``) with ``args`` in a worker,
    within ``limits``; return its result. The job's own exceptions are raised here as they were raised there. A
    worker that died in the middle leaves the scratch files of its outputs (see pdf.atomic_output): they are
    removed here."""
    try:
        return pool().run(job, args, limits)
    except ConversionError:
        for path in _paths(args):
            scratch_path(path).unlink(missing_ok=True)
        raise


def _paths(value: Any) -> list[Path]:
    if isinstance(value, Path):
        return [value]
    if isinstance(value, (tuple, list)):
        return [path for item in value for path in _paths(item)]
    return []


class _Worker:
    def __init__(self, context: multiprocessing.context.BaseContext) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child,), name="faxfinder-converter", daemon=True)
        self.process.start()
        child.close()
        self.spent = False  # dead, killed or out of memory: never given another job

    def alive(self) -> bool:
        # An idle worker never writes: something to read means the end of its pipe (it died, or was killed).
        return not self.spent and self.process.is_alive() and not self.conn.poll()

    def call(self, job: str, args: tuple, limits: Limits) -> Any:
        """The job's result. Unless its whole answer was read, the worker is never given another job (a call
        interrupted half-way would leave its answer in the pipe for the next caller)."""
        done = False
        try:
            status, value = self._exchange(job, args, limits)
            done = True
        finally:
            if not done:
                self.kill()
        if status == "ok":
            return value
        if status == "memory":
            self.spent = True  # it exits after saying so
            raise ConversionError(f"conversion ran out of memory (more than {limits.memory_mib} MiB)")
        raise value

    def _exchange(self, job: str, args: tuple, limits: Limits) -> tuple[str, Any]:
        try:
            self.conn.send((job, args, limits))
            # The worker says when it has the job: if it ends before that, it was gone before the job came.
            if not self.conn.poll(limits.deadline):
                raise ConversionError("internal error (the conversion worker does not answer)", permanent=False)
            started = self.conn.recv()
        except (OSError, ValueError, EOFError):
            raise _Gone from None
        if started != ("started", None):
            log.error("a conversion worker answered %r to a new job", started)
            raise ConversionError("internal error", permanent=False)
        try:
            answered = self.conn.poll(limits.deadline)
        except (OSError, ValueError):
            answered = True  # recv says what happened
        if not answered:
            raise ConversionError(f"conversion took more than {limits.deadline:g} seconds", permanent=False)
        try:
            reply = self.conn.recv()
        except (EOFError, OSError):
            raise ConversionError(self._death(limits), permanent=self._permanent_death) from None
        except Exception:  # an answer that does not unpickle
            log.exception("the answer of a conversion worker could not be read")
            raise ConversionError("internal error", permanent=False) from None
        return reply

    _permanent_death = False

    def _death(self, limits: Limits) -> str:
        self.spent = True
        self.process.join(5)
        code = self.process.exitcode
        if code is None:
            self.kill()
        if code is not None and code == -_SIGXCPU:
            self._permanent_death = True  # the same document takes as long again
            unit = "second" if limits.cpu_seconds == 1 else "seconds"
            return f"conversion took more than {limits.cpu_seconds:g} CPU {unit}"
        if code is not None and code == -_SIGKILL:
            return "conversion was stopped (its worker process was killed)"  # (from outside: not permanent)
        log.error("a conversion worker ended unexpectedly (exit code %s)", code)
        return "internal error"

    def kill(self) -> None:
        self.spent = True
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def close(self, wait: float = 0) -> None:
        """Let it go: it ends when it reads the end of its pipe (killed if it is still there after ``wait``)."""
        self.spent = True
        self.conn.close()
        self.process.join(wait)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


class _Gone(Exception):
    """The worker had ended before it was given the job: the job goes to another one."""


class WorkerPool:
    """Up to ``max_workers`` workers at once; ``max_idle`` of them are kept for the next jobs."""

    def __init__(self, max_workers: int = MAX_WORKERS, max_idle: int = MAX_IDLE) -> None:
        self.max_workers = max_workers
        self.max_idle = max_idle
        self._context = _context()
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy = 0
        self._closed = False
        self.started = 0  # workers started so far (for tests and logs)

    def run(self, job: str, args: tuple, limits: Limits) -> Any:
        for _attempt in range(3):
            worker = self._take()
            try:
                return worker.call(job, args, limits)
            except _Gone:
                continue
            finally:
                self._give_back(worker)
        raise ConversionError("internal error (no conversion worker would start)", permanent=False)

    def _take(self) -> _Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise ConversionError("the emulator is shutting down", permanent=False)
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        self._busy += 1
                        return worker
                    worker.close()
                if self._busy < self.max_workers:
                    self._busy += 1
                    break
                self._cond.wait()
        try:
            worker = self._start()  # outside the lock: starting one takes a moment
        except BaseException:
            with self._cond:
                self._busy -= 1
                self._cond.notify()
            raise
        return worker

    def _start(self) -> _Worker:
        try:
            worker = _Worker(self._context)
        except OSError as exc:
            if self._context.get_start_method() == "spawn":
                raise ConversionError(
                    f"internal error (no conversion worker can start: {exc})", permanent=False
                ) from exc
            # The fork server cannot start here (a socket path too long, a process limit…): spawn instead.
            log.warning("conversion workers cannot start from a fork server (%s); spawning them instead", exc)
            self._context = multiprocessing.get_context("spawn")
            return self._start()
        with self._cond:
            self.started += 1
        return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._cond:
            self._busy -= 1
            keep = worker.alive() and not self._closed and len(self._idle) < self.max_idle
            if keep:
                self._idle.append(worker)
            self._cond.notify()
        if not keep:
            worker.close()

    def idle_pids(self) -> list[int]:
        with self._cond:
            return [w.process.pid for w in self._idle if w.process.pid is not None]

    def close(self) -> None:
        """End every idle worker and refuse new jobs (a job running now ends on its own, or at its deadline)."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for worker in idle:
            worker.close(wait=1)


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


_pool: WorkerPool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def pool() -> WorkerPool:
    """The process's pool, made on first use and closed at exit."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():  # (a forked child never shares its parent's workers)
            first = _pool is None
            _pool, _pool_pid = WorkerPool(), os.getpid()
            if first:
                atexit.register(_close_pool)
        return _pool


def _close_pool() -> None:
    if _pool is not None and _pool_pid == os.getpid():
        _pool.close()
