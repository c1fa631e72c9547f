"""The listeners of the live stream: one queue per open stream, on its event loop, fed from any thread; what a
message is, and who sees which."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

QUEUE_SIZE = 1000  # messages a listener may lag behind before its stream is ended (it reconnects)


@dataclass(frozen=True)
class Message:
    kind: str
    data: dict[str, Any]
    owner: str = ""  # whose fax it concerns (entry), or the recipients of a received fax, comma-separated
    id: int = field(default=0, compare=False)


OVERFLOW = Message("overflow", {"error": f"more than {QUEUE_SIZE} events behind: reconnect"})
END = Message("end", {})  # the stream ends without a word (the server stops, or its login no longer holds)

# Who sees a message: the message itself, one made for this listener, or None.
Visibility = Callable[[Message], Message | None]


def everything(message: Message) -> Message | None:
    return message


class Listener:
    """One stream's queue, on its event loop. ``session``: whose login the stream of the web pages runs under (the
    username and the session's id), so that it ends with that login."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        kinds: frozenset[str],
        visible: Visibility,
        session: tuple[str, str] | None = None,
    ) -> None:
        self.loop = loop
        self.kinds = kinds
        self.visible = visible
        self.session = session
        self.queue: asyncio.Queue[Message] = asyncio.Queue(QUEUE_SIZE + 1)
        self.ended = False

    def offer(self, message: Message) -> None:
        """From any thread."""
        if message.kind not in self.kinds:
            return
        shown = self.visible(message)
        if shown is not None:
            self._call(self._put, shown)

    def end(self) -> None:
        """From any thread: the stream ends after the messages already queued."""
        self._call(self._put, END)

    def _call(self, function: Callable[[Message], None], message: Message) -> None:
        with contextlib.suppress(RuntimeError):  # its loop closed: the stream is gone
            self.loop.call_soon_threadsafe(function, message)

    def _put(self, message: Message) -> None:
        if self.ended:
            return
        if message is END:
            self.ended = True
        elif self.queue.qsize() >= QUEUE_SIZE:
            self.ended = True
            message = OVERFLOW
        self.queue.put_nowait(message)  # (never full: the last one it takes ends it)

    async def next(self, timeout: float) -> Message | None:
        """The next message, or None after ``timeout`` seconds without one."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None


class TooManyStreams(Exception):
    """Every stream the box allows is open (``limit``), or the box is stopping (``limit`` 0)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    @property
    def message(self) -> str:
        if not self.limit:
            return "the box is stopping: no new event stream"
        return f"too many event streams open (at most {self.limit}): close one, or try again later"
