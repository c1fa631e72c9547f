"""Several workers, one box: what makes processes that serve one PostgreSQL database behave as one FaxFinder.

- Every writer's transaction takes one PostgreSQL advisory lock (emulator.db.engine): writes of all workers happen one
  at a time, as the threading lock makes them happen in one process, so fax keys, IDs and lines are never taken twice.
- The clock, the faults and the request journal live in the database (cluster/clock.py, faults.py, journal.py).
- A row of versions says when a worker's copies are stale: before each request it serves, a worker reads it and
  reloads its clock or faults, forgets cached credentials, or voids work prepared from a state a reset or an import
  replaced (``sync``).
- One worker, the leader, runs the queue in the background and delivers what is due: it holds an advisory lock on a
  connection of its own, and another takes over within a second or two of its death.
- Domain events are told to the other workers (NOTIFY), whose observers (the runner's wake-up, live views) react.
- A worker that starts while another serves does not recover from a power cut: the calls in progress are the others'.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from emulator import events
from emulator.cluster.models import ClusterState, WebLogout
from emulator.cluster.notices import CHANNEL, event_of, notice_of
from emulator.db.engine import LOCK_SPACE

if TYPE_CHECKING:
    import psycopg

    from emulator.box import Box

log = logging.getLogger("emulator.cluster")

NAMESPACE = LOCK_SPACE
LEADER, ALIVE, MIGRATING = 2, 3, 4  # (1 is the writers' lock: emulator.db.engine.WRITER_LOCK)
LEADER_POLL = 1.0  # seconds between a follower's tries to take the lead
NOTICE_BATCH = 100  # notices told in one transaction
_VERSIONS = ("clock_version", "faults_version", "credentials_version", "state_version")
_LINKED: weakref.WeakSet[Cluster] = weakref.WeakSet()  # every worker of this process still linked to the others


def unlink_all() -> None:
    """Close every link to other workers this process holds (a process that ends, a test session)."""
    for cluster in list(_LINKED):
        cluster.stop()


def _psycopg_url(sqlalchemy_url: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class Cluster:
    def __init__(self, box: Box) -> None:
        self.box = box
        self.worker = f"{os.getpid()}-{id(self):x}"
        self.leader = False
        self._seen: dict[str, int] = {}
        self._sync_lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sender: threading.Thread | None = None
        self._notices: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.on_leadership: list[Callable[[], None]] = []  # called when this worker becomes the leader

    # -- joining the box -------------------------------------------------------------------------------------
    def join(self) -> bool:
        """Connect as one of the box's workers; True when no other worker is serving (a cold start, which may
        recover from a power cut). ``joined`` must follow once the start is done."""
        import psycopg

        self._conn = psycopg.connect(_psycopg_url(self.box.settings.effective_database_url), autocommit=True)
        cold = self._conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (NAMESPACE, ALIVE)).fetchone()[0]
        return bool(cold)

    def joined(self, cold: bool) -> None:
        """The start is done: serve beside the others (a shared hold on the box, released when this process ends)."""
        assert self._conn is not None
        if cold:
            self._conn.execute("SELECT pg_advisory_unlock(%s, %s)", (NAMESPACE, ALIVE))
        self._conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", (NAMESPACE, ALIVE))
        self._conn.execute(f"LISTEN {CHANNEL}")
        self._thread = threading.Thread(target=self._run, name="faxfinder-cluster", daemon=True)
        self._thread.start()
        self._sender = threading.Thread(target=self._send_notices, name="faxfinder-cluster-notices", daemon=True)
        self._sender.start()
        _LINKED.add(self)

    def stop(self) -> None:
        _LINKED.discard(self)
        self._stop.set()
        for thread in (self._thread, self._sender):
            if thread is not None:
                thread.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        self.leader = False

    # -- the leader and the other workers' events -----------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._conn is None:
                    raise ConnectionError("not connected")
                if not self.leader:
                    row = self._conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (NAMESPACE, LEADER)).fetchone()
                    if row[0]:
                        self.leader = True
                        log.info("worker %s leads the box: it runs the queue", self.worker)
                        for action in self.on_leadership:
                            action()
                for notice in self._conn.notifies(timeout=LEADER_POLL, stop_after=100):
                    self._heard(notice.payload)
            except Exception as exc:  # the connection broke: this worker no longer leads until it reconnects
                if self._stop.is_set():
                    return
                if self.leader or self._conn is not None:
                    log.warning("worker %s lost its link to the other workers (%s); reconnecting", self.worker, exc)
                self.leader = False
                self._stop.wait(LEADER_POLL)
                self._reconnect()

    def _reconnect(self) -> None:
        import psycopg

        if self._conn is not None:
            self._conn.close()
            self._conn = None
        try:
            self._conn = psycopg.connect(_psycopg_url(self.box.settings.effective_database_url), autocommit=True)
            self._conn.execute("SELECT pg_advisory_lock_shared(%s, %s)", (NAMESPACE, ALIVE))
            self._conn.execute(f"LISTEN {CHANNEL}")
        except Exception:  # still unreachable: tried again after the next pause
            if self._conn is not None:
                self._conn.close()
            self._conn = None

    def _heard(self, payload: str) -> None:
        event = event_of(payload, self.worker)
        if event is not None:
            self.box.bus.publish_remote([event])

    def tell(self, event: events.Event, work: Any) -> None:
        """Within the transaction that emits ``event``: the other workers hear of it when it commits."""
        payload = notice_of(event, self.worker)
        if payload is not None:
            work.session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload})

    def tell_apart(self, event: events.Event) -> None:
        """An event no unit of work emits (an exchange recorded, a logout): told by a thread of its own, never on the
        request's way, so that a live stream or a page served by another worker knows it too."""
        payload = notice_of(event, self.worker)
        if payload is not None:
            self._notices.put(payload)

    def _send_notices(self) -> None:
        """What tell_apart queued, a batch a transaction; lost (with a warning) only while the database is away."""
        while not self._stop.is_set() or not self._notices.empty():
            try:
                batch = [self._notices.get(timeout=0.5)]
            except queue.Empty:
                continue
            while len(batch) < NOTICE_BATCH and not self._notices.empty():
                batch.append(self._notices.get_nowait())
            try:
                with self.box.db.transaction() as session:
                    for payload in batch:
                        session.execute(text("SELECT pg_notify(:channel, :payload)"),
                                        {"channel": CHANNEL, "payload": payload})  # fmt: skip
            except Exception as exc:
                log.warning("worker %s could not tell the others of %d events (%s)", self.worker, len(batch), exc)

    def record_logout(self, session_id: str, until: float) -> None:
        """A web session ended: no worker takes its cookie again, one started later included (the expired go)."""
        with self.box.db.transaction() as session:
            session.execute(delete(WebLogout).where(WebLogout.until < time.time()))
            if session.get(WebLogout, session_id) is None:
                session.add(WebLogout(session_id=session_id, until=until))

    def logouts(self) -> list[tuple[str, float]]:
        """The web sessions ended and not expired yet, with when their cookies expire (wall time)."""
        with self.box.db.read() as session:
            rows = session.execute(select(WebLogout.session_id, WebLogout.until).where(WebLogout.until >= time.time()))
            return [(row.session_id, row.until) for row in rows]

    def web_secret(self) -> bytes:
        """The key the pages' cookies are signed with, one for every worker (the first to ask makes it)."""
        row = ClusterState.id == 1
        with self.box.db.transaction() as session:
            made = secrets.token_hex(32)
            session.execute(update(ClusterState).where(row, ClusterState.web_secret.is_(None)).values(web_secret=made))
            return bytes.fromhex(session.execute(select(ClusterState.web_secret).where(row)).scalar_one())

    # -- the versions ---------------------------------------------------------------------------------------------
    def moved(self, work: Any, *names: str) -> None:
        """This worker changed these shared things in ``work``: the others will see the versions move; this one
        takes the new versions as seen once the change commits (it already forgot what it had to)."""
        self.bump(work.session, *names)
        work.on_commit(self.sync)

    def bump(self, session: Session, *names: str) -> None:
        """Move these versions (clock, faults, credentials, state), in the caller's transaction."""
        values = {f"{n}_version": getattr(ClusterState, f"{n}_version") + 1 for n in names}
        session.execute(update(ClusterState).where(ClusterState.id == 1).values(**values))

    def sync(self) -> None:
        """Before serving a request: reload what another worker changed since this one last looked. (A plain read
        on a connection: nothing to commit.)"""
        with self.box.db.engine.connect() as connection:
            row = connection.execute(select(ClusterState.__table__).where(ClusterState.id == 1)).first()
        if row is None:
            return
        with self._sync_lock:
            seen = dict(self._seen)
            self._seen = {name: getattr(row, name) for name in _VERSIONS}
        if not seen:
            return  # (the first look: what this worker has is what it just read at its start)
        box = self.box
        if row.state_version != seen["state_version"]:
            box.works.replaced()  # work prepared from the replaced state is void
            box.quota.invalidate()
            box.auth.clear()
        if row.clock_version != seen["clock_version"]:
            box.clock.load(row)
        if row.faults_version != seen["faults_version"]:
            box.faults.reload()
        if row.credentials_version != seen["credentials_version"]:
            box.auth.clear()

    def seen_now(self, row: ClusterState) -> None:
        with self._sync_lock:
            self._seen = {name: getattr(row, name) for name in _VERSIONS}


class ClusterSync:
    """Before every request a worker serves: its copies of what the workers share brought up to date (``sync``, a
    read of one row). Requests that arrive together share one read, begun after the last of them arrived, so a burst
    costs the database one query at a time, not one each, and none is served from a read older than itself."""

    def __init__(self, app: Any, cluster: Cluster) -> None:
        self.app = app
        self.cluster = cluster
        self._turns: weakref.WeakKeyDictionary[Any, _Turns] = weakref.WeakKeyDictionary()  # per event loop

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.cluster.box.ready:
            import asyncio

            loop = asyncio.get_running_loop()
            turns = self._turns.get(loop)
            if turns is None:
                turns = self._turns[loop] = _Turns(self.cluster)
            await turns.next()
        await self.app(scope, receive, send)


class _Turns:
    """Reads of the versions one after another; whoever waits joins the next one to begin."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._waiting: Any = None  # the future of the next read, while someone waits for it
        self._running = False

    async def next(self) -> None:
        import asyncio

        if self._waiting is None:
            self._waiting = asyncio.get_running_loop().create_future()
        waiting = self._waiting
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drive())
        await waiting

    async def _drive(self) -> None:
        import anyio.to_thread

        try:
            while self._waiting is not None:
                turn, self._waiting = self._waiting, None
                try:
                    await anyio.to_thread.run_sync(self.cluster.sync)
                except Exception as exc:  # served with what this worker has (and failing if the database does)
                    log.warning("worker %s could not read the other workers' changes: %s", self.cluster.worker, exc)
                if not turn.done():
                    turn.set_result(None)
        finally:
            self._running = False
