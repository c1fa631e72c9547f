"""Server processes for the benchmarks that run servers: start one on 127.0.0.1 with its log in a file, wait for its
first 200, read its CPU time, stop it (SIGTERM, then SIGKILL after a few seconds). Every wait is bounded.

Not a script: ``bench/ofax.py`` and ``bench/verify_throughput.py`` import it as ``servers`` (Python puts a script's
own folder first on ``sys.path``, so that works from any working directory).
"""

from __future__ import annotations

import base64
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"
AUTH = "Basic " + base64.b64encode(b"admin:admin").decode()
VERIFY = "/ffws/v1/verify"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
POLL_SECONDS = 0.01  # between two attempts of wait_for_200
LOG_PROBLEMS = ("Traceback", "ERROR", "CRITICAL", "WARNING")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def emulator_argv(data_dir: Path, port: int, *extra: str, command: Sequence[str] | None = None) -> list[str]:
    """``serve`` on HOST:port with its data in ``data_dir``, then ``extra``; run by ``command`` (by default this
    interpreter's ``-m emulator``)."""
    launcher = list(command) if command is not None else [sys.executable, "-m", "emulator"]
    return [*launcher, "serve", "--host", HOST, "--port", str(port), "--data-dir", str(data_dir), *extra]


def spawn(argv: list[str], log_path: Path) -> subprocess.Popen:
    """Start a server with its stderr in a file (a pipe nobody reads could fill up and stall it)."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
    process.log_path = log_path  # type: ignore[attr-defined]
    return process


def tail(process: subprocess.Popen) -> str:
    log: Path | None = getattr(process, "log_path", None)
    return log.read_text(errors="replace")[-2000:] if log and log.exists() else ""


def verify_status(conn: http.client.HTTPConnection) -> int:
    """``GET /ffws/v1/verify`` with Basic admin/admin; the status (the body is read and dropped)."""
    conn.request("GET", VERIFY, headers={"Authorization": AUTH})
    response = conn.getresponse()
    response.read()
    return response.status


def wait_for_200(
    port: int,
    process: subprocess.Popen,
    timeout: float = START_TIMEOUT,
    *,
    probe: Callable[[http.client.HTTPConnection], int] = verify_status,
    interval: float = POLL_SECONDS,
) -> None:
    """Poll with ``probe`` (by default ``/ffws/v1/verify``, which also warms the credential cache) until it answers
    200: a bounded loop of short connection attempts, ``interval`` seconds apart."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with status {process.returncode} before answering:\n{tail(process)}")
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            if probe(conn) == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(interval)
    raise SystemExit(f"no 200 from {HOST}:{port}{VERIFY} within {timeout} s:\n{tail(process)}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running(
    argv: list[str],
    port: int,
    log_path: Path,
    problems: list[str] | None = None,
    *,
    probe: Callable[[http.client.HTTPConnection], int] = verify_status,
    interval: float = POLL_SECONDS,
) -> Iterator[subprocess.Popen]:
    """A server for the block, stopped afterwards. With ``problems``, a non-zero exit status and the lines of its log
    that look like trouble (LOG_PROBLEMS) are appended to it."""
    process = spawn(argv, log_path)
    try:
        wait_for_200(port, process, probe=probe, interval=interval)
        yield process
    finally:
        stop(process)
        if problems is not None:
            if process.returncode not in (0, None):
                problems.append(f"{log_path.name}: exit status {process.returncode}")
            for line in log_path.read_text(errors="replace").splitlines():
                if any(word in line for word in LOG_PROBLEMS):
                    problems.append(f"{log_path.name}: {line.strip()[:200]}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process so far (/proc/PID/stat): its own work, however busy the machine
    is."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS
