"""A server-sent-events reader for the tests: a thread reads the stream, a test waits for the event it expects."""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Sse:
    id: int
    kind: str
    data: dict[str, Any]


class EventReader:
    def __init__(self, url: str, headers: dict[str, str] | None = None, cookies: Any = None) -> None:
        self.status: int | None = None
        self.content_type = ""
        self._events: queue.Queue[Sse] = queue.Queue()
        self._opened = threading.Event()
        self._stop = threading.Event()
        self._done = threading.Event()
        self.clean = False  # the server ended the response properly (not cut off, not hung up by the reader)
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=60), headers=headers, cookies=cookies)
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()
        if not self._opened.wait(10):
            raise AssertionError(f"no answer from {url}")

    def _read(self, url: str) -> None:
        try:
            with self._client.stream("GET", url) as response:
                self.status, self.content_type = response.status_code, response.headers.get("content-type", "")
                self._opened.set()
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return  # leaving the block closes the connection
                    if line == "":
                        if "event" in fields:
                            self._events.put(Sse(int(fields["id"]), fields["event"], json.loads(fields["data"])))
                        fields = {}
                    elif not line.startswith(":"):
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
                self.clean = not self._stop.is_set()
        except httpx.HTTPError:
            pass
        finally:
            self._opened.set()
            self._done.set()

    def next(self, kind: str | None = None, timeout: float = 10, **match: Any) -> Sse:
        """The next event of ``kind`` whose data has the ``match`` values (others before it are passed over)."""
        while True:
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {kind or 'event'} {match} within {timeout} s") from None
            if (kind is None or event.kind == kind) and all(event.data.get(k) == v for k, v in match.items()):
                return event

    def next_each(self, *wanted: tuple[str, dict[str, Any]], timeout: float = 10) -> list[Sse]:
        """The next event of each ``(kind, match)`` in whatever order they come (events of different sources, an
        entry's and its line's, are not ordered), returned in the order asked; others before them are passed over."""
        found: dict[int, Sse] = {}
        while len(found) < len(wanted):
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                missing = [wanted[n] for n in range(len(wanted)) if n not in found]
                raise AssertionError(f"no {missing} within {timeout} s") from None
            for n, (kind, match) in enumerate(wanted):
                if n not in found and event.kind == kind and all(event.data.get(k) == v for k, v in match.items()):
                    found[n] = event
                    break
        return [found[n] for n in range(len(wanted))]

    def drain(self, wait: float = 0.5) -> list[Sse]:
        found = []
        while True:
            try:
                found.append(self._events.get(timeout=wait))
            except queue.Empty:
                return found

    def ended(self, timeout: float) -> bool:
        """Whether the server ended the stream (within ``timeout`` seconds), with a proper end of its response."""
        return self._done.wait(timeout) and self.clean

    def close(self) -> None:
        """Hang up, as a browser closes a page: the reader closes the connection when its next line arrives."""
        self._stop.set()
