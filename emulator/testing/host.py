"""The box host of a test run: one process that has imported the emulator once and forks a box for whoever asks.

Starting an emulator is mostly importing it (FastAPI, SQLAlchemy, pydantic, pypdf…: well over half a second), so a
run of many pytest-xdist workers, or of boxes of several settings, would pay that again and again. The first
process of the run that needs a box starts the host (``python -m emulator.testing.host DIR OWNER_PID``); the host
imports the emulator, makes the run's template data dir (migrated and seeded, in a child of its own) and listens on
127.0.0.1. Each request (one JSON line: the run's token from the host's address file, the settings and a data
dir) gets a box of its own: a forked child copies
the template into the data dir and serves the emulator on a free port; the answer is one JSON line (base_url,
smtp_port, control_token, pid, or error). The box lives while the connection that asked for it stays open: when
the asking process closes it, or dies, the host stops the box (SIGTERM, then SIGKILL). The host ends, stopping
its boxes, when the run's owner process (the xdist controller, or the single pytest process) is gone.

The host never starts a thread, so forking it is safe; each box runs its server in a thread of its own process.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import selectors
import shutil
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

TEMPLATE = "template"
ADDRESS = "host.json"
STOP_GRACE = 5.0
BOX_START_TIMEOUT = 60.0
ANSWER_TIMEOUT = 10.0


def copy_template(template: Path, target: Path) -> None:
    shutil.copytree(template, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("ready"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prepare(template: Path) -> None:
    """Migrate and seed the template, in a child (the host itself must never have started the box's threads)."""
    from emulator.testing.server import EmulatorServer

    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            EmulatorServer(template).prepare()
        except BaseException as error:  # noqa: BLE001 (told to the host's log, and by the exit status)
            print(f"the template could not be made: {error!r}", file=sys.stderr, flush=True)
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"the template data dir {template} could not be made")


def _box(template: Path, request: dict[str, Any], answer: int) -> None:
    """In the forked child: serve a box until SIGTERM; its address (or why not) written to ``answer`` first. Never
    returns: whatever happens, the child ends here and never runs the host's own code."""
    try:
        _serve_box(template, request, answer)
    except BaseException as error:  # noqa: BLE001 (said in the host's log; the child ends all the same)
        print(f"box {os.getpid()}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
    finally:
        os._exit(1)


def _serve_box(template: Path, request: dict[str, Any], answer: int) -> None:
    from emulator.testing.server import EmulatorServer

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        settings: dict[str, Any] = request.get("settings") or {}
        data_dir = Path(request["data_dir"])
        if "database_url" not in settings:
            copy_template(template, data_dir)
        server = EmulatorServer(data_dir, **settings)
        server.start()
        reply = {
            "base_url": server.base_url,
            "smtp_port": server.smtp_port,
            "control_token": server.settings["control_token"],
            "pid": os.getpid(),
        }
    except Exception as error:  # the asking test is told why
        reply, server = {"error": f"the box could not start: {type(error).__name__}: {error}"}, None
        print(f"box {os.getpid()}: {reply['error']}", file=sys.stderr, flush=True)
    os.write(answer, (json.dumps(reply) + "\n").encode())
    os.close(answer)
    if server is not None:
        host = os.getppid()
        while not stop.wait(1) and os.getppid() == host:  # (a host that died leaves no box behind)
            pass
        server.stop()
        os._exit(0)


class Host:
    def __init__(self, directory: Path, owner: int) -> None:
        self.directory = directory
        self.owner = owner
        self.template = directory / TEMPLATE
        self._selector = selectors.DefaultSelector()
        self._buffers: dict[socket.socket, bytes] = {}
        self._boxes: dict[socket.socket, list[int]] = {}
        self._stopping: dict[int, float] = {}  # pid -> when SIGTERM was sent
        self._listener: socket.socket | None = None
        self.token = secrets.token_hex(16)  # (only processes that can read the run's directory ask for boxes)

    def run(self) -> None:
        import emulator.app  # noqa: F401 (imported once, here: what every box forked from the host then has)
        import emulator.testing.server  # noqa: F401

        if not (self.template / "ready").exists():
            shutil.rmtree(self.template, ignore_errors=True)
            _prepare(self.template)
            (self.template / "ready").touch()
        self._listener = listener = socket.create_server(("127.0.0.1", 0))
        listener.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ)
        address = self.directory / ADDRESS
        partial = address.with_suffix(".partial")
        partial.touch(mode=0o600)
        partial.write_text(json.dumps({"port": listener.getsockname()[1], "pid": os.getpid(), "token": self.token}))
        partial.replace(address)
        try:
            while _alive(self.owner):
                for key, _ in self._selector.select(timeout=0.5):
                    if key.fileobj is listener:
                        self._accept(listener)
                    else:
                        self._read(key.fileobj)  # type: ignore[arg-type]
                self._reap()
        finally:
            address.unlink(missing_ok=True)
            for connection in list(self._boxes):
                self._hang_up(connection)
            deadline = time.monotonic() + STOP_GRACE
            while self._stopping and time.monotonic() < deadline:
                self._reap()
                time.sleep(0.05)
            for pid in self._stopping:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def _accept(self, listener: socket.socket) -> None:
        connection, _ = listener.accept()
        connection.setblocking(False)
        self._selector.register(connection, selectors.EVENT_READ)
        self._buffers[connection], self._boxes[connection] = b"", []

    def _read(self, connection: socket.socket) -> None:
        try:
            data = connection.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._hang_up(connection)
            return
        buffer = self._buffers[connection] + data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            self._serve(connection, line)
            if connection not in self._buffers:  # (hung up: what else it sent goes with it)
                return
        self._buffers[connection] = buffer

    def _serve(self, connection: socket.socket, line: bytes) -> None:
        try:
            request = json.loads(line)
            if not isinstance(request, dict) or not isinstance(request.get("data_dir"), str):
                raise ValueError("a request is a JSON object with token, data_dir and settings")
            if not secrets.compare_digest(str(request.get("token", "")), self.token):
                raise ValueError("not this run's token (it is in the host's address file)")
        except ValueError as error:
            reply = {"error": str(error)}
        else:
            reply = self._fork(request)
            if "pid" in reply:
                self._boxes[connection].append(reply["pid"])
        try:
            connection.settimeout(ANSWER_TIMEOUT)
            connection.sendall((json.dumps(reply) + "\n").encode())
            connection.setblocking(False)
        except OSError:  # the asker is gone (or does not read): its boxes go, nobody else's
            self._hang_up(connection)

    def _fork(self, request: dict[str, Any]) -> dict[str, Any]:
        readable, writable = os.pipe()
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # (the host's handler is not the box's)
            os.close(readable)
            self._selector.close()
            for connection in [self._listener, *self._buffers]:
                if connection is not None:
                    connection.close()
            _box(self.template, request, writable)
        os.close(writable)
        with os.fdopen(readable, "rb") as answer:
            ready, _, _ = select.select([answer], [], [], BOX_START_TIMEOUT)
            line = answer.readline() if ready else b""
        try:
            return json.loads(line)
        except ValueError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._stopping[pid] = time.monotonic()
            return {"error": "the box did not start (see the host's log)"}

    def _hang_up(self, connection: socket.socket) -> None:
        if connection not in self._buffers:
            return
        self._selector.unregister(connection)
        connection.close()
        del self._buffers[connection]
        for pid in self._boxes.pop(connection):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            self._stopping[pid] = time.monotonic()

    def _reap(self) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            self._stopping.pop(pid, None)
            for pids in self._boxes.values():  # (a box that ended by itself: its pid may be another's soon)
                if pid in pids:
                    pids.remove(pid)
        for pid, since in list(self._stopping.items()):
            if time.monotonic() - since > STOP_GRACE:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    self._stopping.pop(pid)


def main() -> None:
    directory, owner = Path(sys.argv[1]), int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # (the finally above stops the boxes)
    Host(directory, owner).run()


if __name__ == "__main__":
    main()
