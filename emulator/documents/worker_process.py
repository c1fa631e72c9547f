"""The life of a conversion worker process (emulator.documents.worker starts them): jobs from its pipe, one at a
time, each within the CPU time and the address space its Limits allow, which the kernel enforces (RLIMIT_CPU ends
it with SIGXCPU, RLIMIT_AS makes allocations fail). It ends when its pipe closes or its parent goes away."""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import pickle
import signal
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from .limits import Limits

try:
    import resource
except ImportError:  # Windows: only the parent's wall-clock deadline applies
    resource = None  # type: ignore[assignment]

PARENT_POLL_SECONDS = 1.0
MIB = 1024 * 1024


def serve(conn: Connection) -> None:
    """A worker's life: jobs from ``conn``, one at a time, until the pipe closes or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which ends the workers itself
    _watch_parent()
    _prepare()
    while True:
        try:
            job, args, limits = conn.recv()
            conn.send(("started", None))
        except (EOFError, OSError):
            return
        reply = _run_one(job, args, limits)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return
        if reply[0] == "memory":
            return  # a fresh worker for the next job, not one whose heap is full of holes


def _run_one(job: str, args: tuple, limits: Limits) -> tuple[str, Any]:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.page_pixels
    try:
        function = _resolve(job)
        _limit(limits)
        try:
            return "ok", function(*args, limits=limits)
        finally:
            _unlimit()
    except BaseException as exc:
        if _out_of_memory(exc):
            return "memory", None
        return "error", _portable(exc)


def _portable(exc: BaseException) -> Exception:
    """``exc`` as the parent can raise it: itself if it is an Exception that survives pickling (the jobs' own
    ConversionError and OSError do), else a RuntimeError that names it and carries the worker's traceback (a
    SystemExit in a job must not stop the server's thread)."""
    if isinstance(exc, Exception):
        try:
            copy = pickle.loads(pickle.dumps(exc))
        except Exception:  # it does not travel: described instead
            copy = None
        if isinstance(copy, Exception):
            return exc
    detail = "".join(traceback.format_exception(exc)).rstrip()
    return RuntimeError(f"{type(exc).__name__}: {exc} (in the conversion worker)\n{detail}")


def _resolve(job: str) -> Callable[..., Any]:
    from . import jobs

    if job in jobs.JOBS:
        return jobs.JOBS[job]
    module, _, name = job.partition(":")
    if not name:
        raise ValueError(f"unknown conversion job {job!r}")
    return getattr(importlib.import_module(module), name)


def _prepare() -> None:
    import warnings

    from PIL import Image

    # Pillow only warns between once and twice its limit; here past the limit is an error.
    warnings.simplefilter("error", Image.DecompressionBombWarning)
    if resource is not None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a worker ended by SIGXCPU leaves no core file
    from . import jobs  # noqa: F401 - the libraries, loaded before the first job's clock starts


def _limit(limits: Limits) -> None:
    if resource is None:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _set(resource.RLIMIT_CPU, math.ceil(usage.ru_utime + usage.ru_stime + limits.cpu_seconds))
    size = _address_space()
    if size is not None:
        _set(resource.RLIMIT_AS, size + limits.memory_mib * MIB)


def _unlimit() -> None:
    if resource is None:
        return
    for which in (resource.RLIMIT_CPU, resource.RLIMIT_AS):
        _set(which, resource.RLIM_INFINITY)


def _set(which: int, soft: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        soft = hard if soft == resource.RLIM_INFINITY else min(soft, hard)
    with contextlib.suppress(ValueError, OSError):  # a limit this platform does not enforce
        resource.setrlimit(which, (soft, hard))


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _out_of_memory(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 20:  # libraries sometimes wrap a MemoryError in their own exception
        if isinstance(exc, MemoryError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _watch_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL_SECONDS)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
