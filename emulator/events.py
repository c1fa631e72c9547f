"""Domain events: what happened in the box, published after the transaction that made it happen has committed.

Whatever reacts to the box's state (the queue's runner, the credential cache, the mail queue, the logs, the metrics,
the live stream, and later recording) subscribes here; nothing that changes state calls them by hand. This module
imports nothing of ours.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("emulator.events")


class Event:
    """Base of every domain event."""


@dataclass(frozen=True)
class EntryStateChanged(Event):
    """A fax entry was created or moved to another state (``state`` is the new one, ``previous`` the one it left;
    empty for a new entry). The rest describes the entry as it is now, for whoever reports it (logs, the live
    stream): they need not read it back from the database."""

    fax_id: int
    number: int
    state: str
    previous: str = ""
    owner: str = ""
    fax_number: str = ""
    pages: int = 0
    try_number: int = 1
    message: str = ""
    line: int | None = None  # the line of the try that starts (state sending)
    agent: str = ""


@dataclass(frozen=True)
class LineChanged(Event):
    """A line was put in or out of service, or its settings changed (``line`` None: possibly every line)."""

    line: int | None = None


@dataclass(frozen=True)
class FaxReceived(Event):
    """A call arrived: ``inbound_id`` is the received fax, None when the caller got busy."""

    inbound_id: int | None
    line: int | None
    remote_id: str = ""
    caller_id: str = ""
    recipient: str = ""  # the usernames its route delivers to, comma-separated
    pages: int = 0


@dataclass(frozen=True)
class ReceptionEnded(Event):
    """A received fax's call ended: its pages are in (``result`` success, failure or partial)."""

    inbound_id: int
    line: int
    pages: int
    result: str
    recipient: str = ""
    remote_id: str = ""


@dataclass(frozen=True)
class FaxConverted(Event):
    """A fax's attachments were converted (``error`` empty) or refused; ``seconds``: how long it took, wall time."""

    fax_id: int
    pages: int | None
    error: str
    seconds: float


@dataclass(frozen=True)
class MailQueued(Event):
    """A mail entered the mail queue (``kind``: receipt or inbound); it is composed, then delivered."""

    mail_id: int
    kind: str


@dataclass(frozen=True)
class MailChanged(Event):
    """A mail of the queue was composed, tried, delivered or given up (``state`` is its new one); ``mail_id`` None:
    the queue was emptied."""

    mail_id: int | None
    state: str
    attempts: int = 0


@dataclass(frozen=True)
class UserChanged(Event):
    """A user was added or edited; ``credentials`` says whether its password (or existence) changed."""

    user_id: int
    username: str
    credentials: bool


@dataclass(frozen=True)
class ClockChanged(Event):
    """The emulated clock was switched, rescaled or moved by a client."""


@dataclass(frozen=True)
class StateReplaced(Event):
    """Every persistent thing was replaced: ``how`` is ``reset`` or ``import``."""

    how: str


@dataclass(frozen=True)
class WebSessionEnded(Event):
    """Someone logged out of the web pages: the session's cookie opens nothing any more, on any worker."""

    session_id: str
    username: str


@dataclass(frozen=True)
class ExchangeRecorded(Event):
    """A /ffws/v1 exchange ended and was recorded in the journal (``journal_id``; None when the journal could not
    keep it: the shared journal's database full or away). No body, no credential: who wants those reads the
    journal."""

    journal_id: int | None
    method: str
    path: str
    route: str  # the route's path template (/ffws/v1/ofax/{faxkey}); unmatched when no route matched
    status: int | None
    user: str | None
    duration_ms: float
    reason: str | None = None


Handler = Callable[[Event], None]
# A subscriber within the transaction: called with the event and the unit of work that emits it, while that unit's
# transaction is open, so that what it writes (a mail to send) commits or rolls back with what the event tells.
WorkHandler = Callable[[Event, Any], None]


class EventBus:
    """Synchronous publish/subscribe. A failing subscriber is logged and never undoes what already committed.

    An ``immediate`` subscriber runs right after the commit, while the unit of work still holds the queue's lock
    (it must be quick and must not open a unit of work: the credential cache is one); the others run once the
    lock is released (waking the runner, and whatever may take its time)."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[tuple[type[Event], ...], Handler, bool]] = []
        self._observers: list[tuple[tuple[type[Event], ...], Handler]] = []
        self._within: list[tuple[tuple[type[Event], ...], WorkHandler]] = []
        self._lock = threading.Lock()

    def subscribe(
        self,
        kinds: type[Event] | tuple[type[Event], ...],
        handler: Handler,
        *,
        immediate: bool = False,
        remote: bool = False,
    ) -> None:
        """``remote``: the handler also hears what other workers serving the same box did (it only observes: it
        wakes, refreshes, forwards; whatever writes reacts where the event happened)."""
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        with self._lock:
            self._subscribers.append((kinds, handler, immediate))
            if remote:
                self._observers.append((kinds, handler))

    def publish_remote(self, events: Iterable[Event]) -> None:
        """What another worker's units of work committed, told to this worker's observers."""
        with self._lock:
            observers = list(self._observers)
        self._deliver(events, observers)

    def subscribe_within(self, kinds: type[Event] | tuple[type[Event], ...], handler: WorkHandler) -> None:
        """``handler(event, work)`` runs when a unit of work emits the event, inside its transaction. It must do its
        writes in a savepoint of its own: its failure is logged and leaves the unit's own work as it was."""
        kinds = kinds if isinstance(kinds, tuple) else (kinds,)
        with self._lock:
            self._within.append((kinds, handler))

    def publish_within(self, events: Iterable[Event], work: Any) -> None:
        with self._lock:
            subscribers = list(self._within)
        for event in events:
            for kinds, handler in subscribers:
                if isinstance(event, kinds):
                    try:
                        handler(event, work)
                    except Exception:
                        log.exception("subscriber of %s within its transaction failed", type(event).__name__)

    def publish(self, events: Iterable[Event], *, immediate: bool = False) -> None:
        with self._lock:
            subscribers = [(kinds, handler) for kinds, handler, now in self._subscribers if now == immediate]
        self._deliver(events, subscribers)

    @staticmethod
    def _deliver(events: Iterable[Event], subscribers: list[tuple[tuple[type[Event], ...], Handler]]) -> None:
        for event in events:
            for kinds, handler in subscribers:
                if isinstance(event, kinds):
                    try:
                        handler(event)
                    except Exception:
                        log.exception("subscriber of %s failed", type(event).__name__)
