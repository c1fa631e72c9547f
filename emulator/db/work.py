"""The unit of work: one transaction per request (or per queue step), the queue's lock for every writer, and the
domain events of what it did, published only once it has committed.

Every writer takes the queue's lock *before* SQLite's write lock (BEGIN IMMEDIATE), as a queue step does, so no
two writers can deadlock and no write interleaves with a step, a reset or an import. A reader takes no lock: under
SQLite's WAL it reads a consistent snapshot beside any writer.

The session is opened lazily, the first time it is asked for, so that a request refused while it is parsed, or
work done before touching the database (hashing a password, converting a document), never holds the lock. The
lock is a plain ``threading.Lock``: a request's transaction may begin in one worker thread and end in another.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

from sqlalchemy.orm import Session

from emulator.db.engine import Database
from emulator.events import Event, EventBus

log = logging.getLogger("emulator.db")


class UnitOfWork:
    def __init__(
        self,
        db: Database,
        lock: threading.Lock,
        bus: EventBus,
        *,
        write: bool,
        guard: Callable[[Session], None] | None = None,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        self.write = write
        self._before_write = before_write  # run under the lock before a writer's transaction begins
        self._db = db
        self._lock = lock
        self._bus = bus
        self._guard = guard  # run once the transaction is open (the caller's credentials still hold)
        self._session: Session | None = None
        self._locked = False
        self._events: list[Event] = []
        self._on_commit: list[Callable[[], None]] = []
        self._on_abort: list[Callable[[], None]] = []
        self._finished = False

    @property
    def opened(self) -> bool:
        return self._session is not None

    @property
    def session(self) -> Session:
        """This unit's one transaction, begun on first use (a writer waits for the queue's lock first)."""
        if self._session is not None:
            return self._session
        if self._finished:
            raise RuntimeError("this unit of work has already finished")
        if self.write:
            self._lock.acquire()
            self._locked = True
        try:
            if self.write and self._before_write is not None:
                self._before_write()
            self._session = self._db.begin(write=self.write)
            if self._guard is not None:
                self._guard(self._session)
        except BaseException:
            self._finished = True
            self._close(commit=False)
            raise
        return self._session

    def emit(self, *events: Event) -> None:
        """Publish these events once (and only if) this unit commits. Subscribers within the transaction see them
        now, and write in it (emulator.events.EventBus.subscribe_within)."""
        self._events.extend(events)
        self._bus.publish_within(events, self)

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` right after the commit, while the queue's lock is still held (files to clear, say)."""
        self._on_commit.append(action)

    def on_abort(self, action: Callable[[], None]) -> None:
        """Run ``action`` if this unit ends without committing (rolled back, or its commit failed), still under the
        queue's lock: undo what it did outside the database (files moved into place, storage counted)."""
        self._on_abort.append(action)

    def finish(self, error: BaseException | None = None) -> None:
        """Commit (or, after ``error``, roll back), release the lock, then publish the events. What is done after
        a successful commit (the ``on_commit`` actions, the events) all happens even if one of them fails; the
        first such failure is raised afterwards."""
        if self._finished:
            return
        self._finished = True
        committed, failure = self._close(commit=error is None)
        if committed:
            self._bus.publish(self._events)
        if failure is not None:
            raise failure

    def _aborted(self) -> None:
        for action in self._on_abort:
            try:
                action()
            except Exception:  # the unit is over: undoing the rest still happens
                log.exception("undoing after a unit of work that did not commit failed")

    def _close(self, *, commit: bool) -> tuple[bool, BaseException | None]:
        session, self._session = self._session, None
        committed, failure = False, None
        try:
            if session is not None:
                if commit and self.write:
                    session.commit()
                else:
                    session.rollback()
            committed = commit
            if committed:
                self._bus.publish(self._events, immediate=True)
                for action in self._on_commit:
                    try:
                        action()
                    except Exception as exc:  # the commit stands: the other actions and the events still happen
                        failure = failure or exc
        finally:
            if not committed:  # under the lock: before another writer can reuse what this one used (a fax key)
                self._aborted()
            if session is not None:
                session.close()
            if self._locked:
                self._locked = False
                self._lock.release()
        return committed, failure

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.finish(error)


class Works:
    """The box's maker of units of work, and the owner of the queue's lock."""

    def __init__(self, db: Database, bus: EventBus) -> None:
        self.db = db
        self.bus = bus
        self.lock = threading.Lock()
        self.epoch = 0  # bumped whenever the whole state is replaced: a reset or an import
        # What the last replacement of the state left undone (its documents not yet in place): every writer does it
        # first, under the lock, and is refused while it cannot be done.
        self.pending: Callable[[], None] | None = None

    def replaced(self) -> None:
        """The state was replaced: work prepared from the old one (a conversion, an advance) must not be applied.
        Called right after the replacing commit, under the lock: whoever read the epoch before it may have read
        the old state, whoever reads it after reads the new one."""
        self.epoch += 1

    def __call__(self, *, write: bool = True, guard: Callable[[Session], None] | None = None) -> UnitOfWork:
        return UnitOfWork(self.db, self.lock, self.bus, write=write, guard=guard, before_write=self._pending)

    def _pending(self) -> None:
        if self.pending is not None:
            self.pending()
