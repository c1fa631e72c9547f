"""``serve --workers N``: N processes serving one box on the sockets the parent bound (the kernel hands each
connection to one of them), on one PostgreSQL database (emulator.cluster makes them one box). The parent only
watches: a worker that dies is replaced, and SIGTERM or SIGINT stops them all gracefully."""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import signal
import socket
import threading
from pathlib import Path
from typing import Any

from emulator.settings import Settings

log = logging.getLogger("emulator")
STOP_TIMEOUT = 20.0  # seconds a worker has to finish its requests once told to stop


def supervise(
    settings: Settings, sockets: list[socket.socket], smtp: socket.socket | None, tls: tuple[Path, Path] | None
) -> int:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing of the parent's state, no threads
    stopping = threading.Event()

    def start() -> Any:
        process = context.Process(target=_work, args=(settings, sockets, smtp, tls), name="faxfinder-worker")
        process.start()
        return process

    def stop(_signum: int, _frame: object) -> None:
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    processes = [start() for _ in range(settings.workers)]
    while not stopping.is_set():
        multiprocessing.connection.wait([p.sentinel for p in processes], timeout=0.5)
        for number, process in enumerate(processes):
            if not process.is_alive() and not stopping.is_set():
                log.warning("worker %d (pid %s) ended (exit code %s); starting another", number, process.pid,
                            process.exitcode)  # fmt: skip
                processes[number] = start()
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: the worker stops its servers gracefully
    for process in processes:
        process.join(STOP_TIMEOUT)
        if process.is_alive():
            process.kill()
            process.join()
    return 0


def _work(
    settings: Settings, sockets: list[socket.socket], smtp: socket.socket | None, tls: tuple[Path, Path] | None
) -> None:
    from emulator.server import _configure_logging, run_worker

    _configure_logging(settings)
    run_worker(settings, sockets, smtp, tls, announce=False)
