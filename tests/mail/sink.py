"""A real SMTP server on 127.0.0.1 for the tests (aiosmtpd): it keeps what the emulator delivers, can refuse, and
can be stopped and started again on the same port (a server that is down, then up)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Keep:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list) -> str:  # noqa: N802
        if self.sink.refuse_rcpt:
            return self.sink.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.sink.lock:
            self.sink.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content, message))
        return "250 OK: kept"


class SmtpSink:
    def __init__(self, port: int | None = None, **controller: Any) -> None:
        self.port = port or free_port()
        self.received: list[tuple[str, list[str], bytes, EmailMessage]] = []
        self.lock = threading.Lock()
        self.refuse_rcpt = ""  # e.g. "550 5.1.1 no such mailbox"
        self._options = controller
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self._controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port, **self._options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [message for _sender, _to, _raw, message in self.received]


def wait_until(condition: Callable[[], Any], within: float = 20.0, what: str = "the condition") -> Any:
    """Real I/O over loopback takes its time: poll ``condition`` until it is true (bounded), never a fixed sleep."""
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within} s")
        time.sleep(0.02)
