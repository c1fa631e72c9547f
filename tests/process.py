"""A real `faxfinder-emulator serve` process for the tests that need one (restart, crash, concurrency, HTTPS)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tests import backends

CHEAP = ["--argon2-time-cost", "1", "--argon2-memory-kib", "8"]
_LISTENING = re.compile(r"on (http://[\d.]+:\d+)/ffws/v1(?: and (https://[\d.]+:\d+)/ffws/v1)?")


class ServerProcess:
    def __init__(self, data_dir: Path, *args: str) -> None:
        self.data_dir = data_dir
        self.args = [*CHEAP, "--host", "127.0.0.1", "--port", "0", "--data-dir", str(data_dir), *args]
        if "--database-url" not in args and (database := backends.CURRENT.database_for(data_dir)):
            self.args += ["--database-url", database]  # the suite's database server (tests/backends.py)
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""
        self.tls_url = ""
        self.output: list[str] = []

    def start(self, timeout: float = 30) -> ServerProcess:
        self.base_url, self.output = "", []
        env = {k: v for k, v in os.environ.items() if not k.startswith("FFEMU_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        found = threading.Event()

        def read() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            for line in self.proc.stdout:
                self.output.append(line)
                match = _LISTENING.search(line)
                if match and not self.base_url:
                    self.base_url, self.tls_url = match.group(1), match.group(2) or ""
                    found.set()
            found.set()  # the process ended before it listened

        threading.Thread(target=read, daemon=True).start()
        if not found.wait(timeout) or not self.base_url:
            self.kill()
            raise AssertionError("server did not start:\n" + "".join(self.output))
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float) -> None:
        ready = threading.Event()
        for _ in range(int(timeout / 0.05)):
            try:
                if httpx.get(self.base_url + "/_emulator/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            ready.wait(0.05)
        raise AssertionError("server never became healthy:\n" + "".join(self.output))

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30, **kwargs)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
