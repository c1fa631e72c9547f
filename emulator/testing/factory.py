"""Boxes for a test session: one emulator process per distinct settings, started when first asked for and reused
(reset) after; or, with ``--faxfinder-url`` / ``FFEMU_URL``, the emulator already running there.

The boxes are forked by the run's box host (emulator.testing.host), which the first process of the run to need a box
starts (under a file lock beside the run's temporary directories, where pytest-xdist's workers find it): the host
pays the emulator's imports and the migration once, and a worker's box is a fork and a copy away. Where processes
cannot fork (Windows), each box runs in a thread of the test process instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Any

import pytest

from emulator.testing.host import ADDRESS
from emulator.testing.server import EmulatorHandle, EmulatorServer

HOST_DIR = "faxfinder-host"
HOST_START_TIMEOUT = 120.0


class Factory:
    def __init__(self, tmp: pytest.TempPathFactory, external: str | None = None, xdist_worker: bool = False) -> None:
        self._tmp = tmp
        self._xdist_worker = xdist_worker
        self.external = external.rstrip("/") if external else None
        self._boxes: dict[str, EmulatorHandle] = {}
        self._connections: list[socket.socket] = []
        self._servers: list[EmulatorServer] = []  # (in-process boxes, where there is no fork)

    def __call__(self, **settings: Any) -> EmulatorHandle:
        """A box with these settings (the session's first of them, or the same one again), reset to its fixtures."""
        if self.external is not None and settings:
            pytest.skip(
                f"needs a box with {settings}: the tests use the emulator already running at {self.external} "
                "(--faxfinder-url / FFEMU_URL), whose settings are its own"
            )
        key = json.dumps(settings, sort_keys=True, default=str)
        if key not in self._boxes:
            if self.external is not None:
                self._boxes[key] = EmulatorHandle(self.external, os.environ.get("FFEMU_CONTROL_TOKEN") or None)
            else:
                self._boxes[key] = self._start(settings)
        handle = self._boxes[key]
        handle.reset()
        return handle

    def _start(self, settings: dict[str, Any]) -> EmulatorHandle:
        data_dir = self._tmp.mktemp("faxfinder")
        if not hasattr(os, "fork"):
            server = EmulatorServer(data_dir, **settings)
            server.start()
            self._servers.append(server)
            return server.handle()
        port, token = self._host()
        request = json.dumps({"token": token, "settings": settings, "data_dir": str(data_dir)}, default=_path_text)
        connection = socket.create_connection(("127.0.0.1", port), timeout=HOST_START_TIMEOUT)
        try:
            connection.sendall((request + "\n").encode())
            with connection.makefile("rb") as answer:
                reply = json.loads(answer.readline() or b'{"error": "the box host ended"}')
        except BaseException:
            connection.close()
            raise
        if "error" in reply:
            connection.close()
            raise RuntimeError(f"FaxFinder emulator with {settings}: {reply['error']} (see {self._host_dir()}/log)")
        self._connections.append(connection)  # (the box lives while this stays open)
        return EmulatorHandle(reply["base_url"], reply["control_token"], reply["smtp_port"])

    def _host_dir(self) -> Path:
        root = self._tmp.getbasetemp()
        shared = root.parent if self._xdist_worker else root  # (xdist: gw0, gw1… share it)
        return shared / HOST_DIR

    def _host(self) -> tuple[int, str]:
        """The port and token of the run's box host, started if it is not running (or no longer answers)."""
        directory = self._host_dir()
        directory.mkdir(exist_ok=True)
        with _locked(directory / "lock"):
            running = _address(directory)
            if running is not None:
                return running
            # The host ends with the run: with the xdist controller (the workers' parent), or with this process.
            owner = os.getppid() if self._xdist_worker else os.getpid()
            if owner == 1:  # (the controller already gone: this worker is all there is of the run)
                owner = os.getpid()
            with (directory / "log").open("ab") as log:
                host = subprocess.Popen(
                    [sys.executable, "-m", "emulator.testing.host", str(directory), str(owner)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # (Ctrl-C in the terminal stops the run; the run's end stops the host)
                )
            deadline = time.monotonic() + HOST_START_TIMEOUT
            while time.monotonic() < deadline and host.poll() is None:
                running = _address(directory)
                if running is not None:
                    return running
                time.sleep(0.02)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(host.pid, signal.SIGKILL)  # (the host, and the child making its template)
            host.wait()
            log_tail = (directory / "log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the FaxFinder emulator's box host did not start:\n{log_tail}")

    def close(self) -> None:
        for handle in self._boxes.values():
            handle.close()
        self._boxes.clear()
        for connection in self._connections:
            connection.close()  # (the host stops that box)
        self._connections.clear()
        for server in self._servers:
            server.stop()
        self._servers.clear()


def _address(directory: Path) -> tuple[int, str] | None:
    """The port and token of the run's box host, if one answers there (the address of one that died is removed)."""
    try:
        address = json.loads((directory / ADDRESS).read_text())
        port, token = int(address["port"]), str(address["token"])
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except (OSError, ValueError, KeyError, TypeError):
        (directory / ADDRESS).unlink(missing_ok=True)
        return None
    return port, token


def _path_text(value: object) -> str:
    """Settings travel to the host as JSON: paths as their text; anything else that is not JSON is refused."""
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"a setting of the FaxFinder emulator must be a JSON value or a path, not {value!r}")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl  # (only where processes fork: POSIX)

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
