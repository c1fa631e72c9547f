"""The box: one emulated FaxFinder (settings, database, clock, random source, line pool, queue, journal, faults)
and its life cycle: start (migrate, seed, recover), reset, stop."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator import paths
from emulator.clock import LATEST, Clock, in_range, wall_now
from emulator.cluster import MIGRATING, Cluster
from emulator.cluster.clock import SharedClock, write_initial
from emulator.cluster.faults import SharedFaults
from emulator.cluster.journal import SharedJournal
from emulator.cluster.models import ClusterState
from emulator.db import Database
from emulator.db.engine import sync_sequences, wipe
from emulator.db.migrate import upgrade
from emulator.db.models import state_tables
from emulator.db.work import UnitOfWork, Works
from emulator.device import config
from emulator.device.firmware import PROFILE_OF
from emulator.device.inbound import Arrival, InboundFax, InboundLine
from emulator.device.lines import LineState, line_states
from emulator.device.models import Call, ClockState, DocumentGeneration
from emulator.device.outcomes import load_rules, outcome_for
from emulator.device.preprocess import Preprocessor
from emulator.device.previews import documents_quota
from emulator.device.profiles import PROFILES
from emulator.device.queue import Queue
from emulator.device.quota import NotEnoughStorage
from emulator.device.runner import Runner
from emulator.device.store import DocumentStore, Staging
from emulator.device.thumbnails import Thumbnails
from emulator.events import (
    ClockChanged,
    EntryStateChanged,
    Event,
    EventBus,
    ExchangeRecorded,
    FaxReceived,
    LineChanged,
    StateReplaced,
    UserChanged,
    WebSessionEnded,
)
from emulator.faults import Faults
from emulator.ffws.auth import Authenticator, Passwords
from emulator.ffws.users.models import User
from emulator.journal import Journal
from emulator.mail.service import MailQueue
from emulator.observe import logs
from emulator.observe.live import Hub
from emulator.observe.metrics import Metrics
from emulator.randomness import RandomSource
from emulator.settings import Settings

if TYPE_CHECKING:
    from emulator.ffws.ofax.service import Intake


class StateIncomplete(NotEnoughStorage):
    """The state was replaced in the database, but its documents could not be put in place. Until they are (the
    next writer tries again, and a start does it), every writer is refused with this (503), so nothing is written
    beside documents that are not the state's."""


class Box:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.effective_database_url)
        self.bus = EventBus()
        self.works = Works(self.db, self.bus)
        self.zone = ZoneInfo(settings.timezone)
        # On PostgreSQL the box may be served by several workers: what they share lives in the database.
        self.cluster = Cluster(self) if self.db.engine.dialect.name == "postgresql" else None
        start, manual, scale = self._fresh_start(), settings.manual_clock, settings.time_scale
        if self.cluster is None:
            self.clock: Clock = Clock(manual=manual, time_scale=scale, start=start)
        else:
            self.clock = SharedClock(self.db, manual=manual, time_scale=scale, start=start)
        self.started_at = self.clock.now()
        self.random = RandomSource(settings.seed)
        self.auth = Authenticator(self.db, Passwords(settings.argon2_time_cost, settings.argon2_memory_kib))
        self.fixtures = paths.fixtures_dir()
        self.profile = PROFILES[settings.model]
        # Absolute: the conversion workers do not share this process's working directory.
        incoming = (settings.data_dir / "incoming").resolve()
        if self.cluster is not None:  # one folder per worker: a worker that starts clears its own, not the others'
            incoming = incoming / f"worker-{self.cluster.worker}"
        self.store = DocumentStore(settings.documents_dir.resolve(), incoming)
        self.rules = load_rules(self.fixtures / "outcomes.json")
        self.quota = documents_quota(self.store, settings.disk_quota, self.works)  # walked when first needed
        self.preprocessor = Preprocessor(
            self.store, self.cover_pages_dir, self.zone, settings.conversion_limits, quota=self.quota
        )
        self.thumbnails = Thumbnails(self.quota, settings.conversion_limits)  # the web pages' page images
        self.inbound = InboundLine(self.store)
        self.queue = Queue(self.works, self.preprocessor, self.enabled_lines, self.inbound)
        self.runner = Runner(self.queue, self.clock, may_run=self.leads, refresh=self.refresh)
        if self.cluster is None:
            self.journal: Journal = Journal(settings.journal_size, self.zone)
            self.faults: Faults = Faults(self.random)
        else:
            cluster = self.cluster
            self.journal = SharedJournal(self.db, settings.journal_size, self.zone)
            bump = lambda session: cluster.bump(session, "faults")  # noqa: E731
            self.faults = SharedFaults(self.random, settings.seed, self.db, bump)
        self.mail = MailQueue(self)
        if self.cluster is not None:  # the new leader looks at what is due at once
            self.cluster.on_leadership += [self.runner.nudge, self.mail.runner.nudge]
        self._seed_hashes: dict[str, str] = {}
        self.listening_ports: set[int] = set()  # the ports the server bound (told by the server; none in tests)
        self.tls_port: int | None = settings.tls_port or None  # the HTTPS port bound (told by the server)
        self.firmware = PROFILE_OF[settings.firmware]
        # Device settings whose default follows the start-up settings (a field a client set keeps its value): fax
        # by e-mail is on where the box listens for it.
        self.setting_defaults = {"t37_settings": {"enabled": settings.smtp_listen_port is not None}}
        self.ready = False
        self.metrics = Metrics(self)
        self.live = Hub(self)
        self._subscribe()

    def refresh(self) -> None:
        """Among workers: what the others changed, read (before a background turn; requests do it on arrival)."""
        if self.cluster is not None and self.ready:
            self.cluster.sync()

    def leads(self) -> bool:
        """Whether this process runs the queue in the background: always alone, the leader among workers."""
        return self.cluster is None or self.cluster.leader

    def web_logout(self, session_id: str, username: str, until: float) -> None:
        """Someone logged out of the web pages: the session ends on every worker (kept until ``until``, when its
        cookie would have expired, for workers started later), its live streams with it."""
        if self.cluster is not None:
            self.cluster.record_logout(session_id, until)
        self.bus.publish([WebSessionEnded(session_id, username)])

    def _subscribe(self) -> None:
        """Who reacts to what happened: the runner looks at the schedule again, the credential cache forgets."""
        wake = (EntryStateChanged, LineChanged, FaxReceived, ClockChanged, StateReplaced)
        self.bus.subscribe(wake, lambda _event: self.runner.nudge(), remote=True)
        if self.cluster is not None:
            cluster = self.cluster
            self.bus.subscribe_within(Event, cluster.tell)  # the other workers hear of it when it commits
            # What no unit of work emits: their live streams show the exchange, their pages forget the session.
            self.bus.subscribe((ExchangeRecorded, WebSessionEnded), cluster.tell_apart)
            self.bus.subscribe_within(StateReplaced, lambda _e, work: cluster.moved(work, "state"))
            self.bus.subscribe_within(
                UserChanged, lambda e, work: cluster.moved(work, "credentials") if e.credentials else None
            )
        self.bus.subscribe(UserChanged, self._credentials_changed, immediate=True)
        self.bus.subscribe(StateReplaced, lambda _event: self.auth.clear(), immediate=True)
        # The documents' tally is walked again when next needed: forgotten at the commit, and once more after the
        # new documents are in place (a walk in between may have seen the old ones).
        self.bus.subscribe(StateReplaced, self.quota.invalidate, immediate=True)
        self.bus.subscribe(StateReplaced, self.quota.invalidate)
        self.mail.subscribe(self.bus)  # receipts and received faxes queued with what causes them; composed later
        # Those who watch: log lines, metrics, the live stream.
        logs.attach(self.bus)
        self.metrics.attach(self.bus)
        self.live.attach(self.bus)

    def _credentials_changed(self, event: UserChanged) -> None:
        if event.credentials:
            self.auth.forget(event.username)

    def work(self, *, write: bool = True, guard: Callable[[Session], None] | None = None) -> UnitOfWork:
        """A unit of work on this box (a writer holds the queue's lock from its first use of the session)."""
        return self.works(write=write, guard=guard)

    def _fresh_start(self) -> datetime:
        return self.settings.start_time if self.settings.manual_clock else wall_now()

    # -- life cycle --------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Bring the schema to head, load the fixtures into an empty database, recover from a power cut. Among
        workers serving one box, only a cold start (no other worker serving) recovers: the rest is theirs."""
        paths.private_dir(self.settings.data_dir)
        cold = self.cluster.join() if self.cluster is not None else True
        with self.db.exclusive(MIGRATING):  # (workers starting together migrate one at a time)
            upgrade(self.db.engine)
        with self.db.read() as session:
            empty = session.scalars(select(User.id).limit(1)).first() is None
        if empty:
            self._hash_seed_passwords()
        with self.work() as work:
            session = work.session
            if empty and session.scalars(select(User.id).limit(1)).first() is None:
                self.seed(session)
            remembered = session.get(ClockState, 1)
            generation = session.get(DocumentGeneration, 1)
            if cold:
                self.store.recover(generation.value if generation is not None else None)
            shared = self._join_clock(session)
        if remembered is not None and remembered.now > self.clock.now():
            self.clock.set(remembered.now)  # a restart never moves emulated time backwards
        if cold:
            self.store.clear_incoming()
            self.queue.recover(self.clock.now())
            self.mail.recover()
        self.started_at = self.clock.now()  # uptime counts from this start, after the remembered time
        if self.cluster is not None and shared is not None:
            self.cluster.seen_now(shared)
            self.cluster.joined(cold)
        self.ready = True

    def _join_clock(self, session: Session) -> ClusterState | None:
        """Among workers: the box's clock, or this worker's as the box's when it is the first."""
        if self.cluster is None:
            return None
        row = session.get(ClusterState, 1)
        if row is None:
            return write_initial(session, self.clock)
        self.clock.load(row)
        return row

    def stop(self) -> None:
        if self.ready:
            self.queue.remember(self.clock.now())
        if self.cluster is not None:
            self.cluster.stop()
        self.db.dispose()

    def _seed_users(self) -> list[dict]:
        return json.loads((self.fixtures / "users.json").read_text())

    def _hash_seed_passwords(self) -> None:
        """Argon2 is slow by design: the fixture users' hashes are made once, before any transaction. A hash already
        stored that still matches the fixture's password is kept, so a reset leaves a logged-in admin logged in."""
        missing = [r for r in self._seed_users() if r["username"] not in self._seed_hashes]
        if not missing:
            return
        with self.db.read() as session:
            names = [r["username"] for r in missing]
            rows = session.execute(select(User.username, User.password_hash).where(User.username.in_(names)))
            stored = {name: hashed for name, hashed in rows}
        for record in missing:
            known = stored.get(record["username"])
            if known and self.auth.passwords.verify(record["password"], known):
                self._seed_hashes[record["username"]] = known
            else:
                self._seed_hashes[record["username"]] = self.auth.passwords.hash(record["password"])

    def seed(self, session: Session) -> None:
        self._hash_seed_passwords()  # (a no-op once they are made)
        for record in self._seed_users():
            record = dict(record)
            record.pop("password")
            session.add(User(password_hash=self._seed_hashes[record["username"]], **record))

    def wipe(self, session: Session) -> None:
        """Every row of every state table gone (children first); what workers share is not state."""
        wipe(session, state_tables())

    def reset(self) -> None:
        """Everything back to the fixtures and the settings: data, documents, clock, journal, faults, caches.

        One unit of work under the queue's lock: a request that writes happens wholly before or wholly after it."""
        self._hash_seed_passwords()
        self.replace_state("reset", self.seed, self.store.stage(), self._fresh_state)

    def replace_state(
        self, how: str, fill: Callable[[Session], None], documents: Staging, then: Callable[[], None]
    ) -> None:
        """Every table emptied and filled again by ``fill``, and the stored documents replaced by the staged set
        ``documents``, in one unit of work (a reset, an import). The database names the new set in the same
        transaction; right after its commit, under the lock, the credential cache is emptied (an immediate event),
        work prepared from the old state is void, the staged set takes the place of the old one and ``then``
        replaces the rest that lives outside the database (clock…). If anything fails before the commit, nothing
        changed and the staged set is removed; a crash after it is completed at the next start."""
        committed: list[bool] = []
        try:
            with self.work() as work:
                self.wipe(work.session)
                fill(work.session)
                sync_sequences(work.session, state_tables())
                work.session.add(DocumentGeneration(id=1, value=documents.generation))
                work.on_commit(lambda: committed.append(True))
                work.on_commit(self.works.replaced)
                work.on_commit(lambda: self._swap_in(documents))
                work.on_commit(then)
                work.emit(StateReplaced(how))
        finally:
            if not committed:  # once committed, the staged set is the state's, swapped in or not
                documents.discard()

    def _swap_in(self, documents: Staging) -> None:
        try:
            self.store.swap_in(documents)
        except OSError as exc:
            self.works.pending = lambda: self._swap_again(documents)
            raise StateIncomplete(
                f"the new state is stored, but its documents could not be put in place ({exc.strerror or exc}); "
                "writes are refused until they are (tried again at each, and at the next start)"
            ) from exc

    def _swap_again(self, documents: Staging) -> None:
        self.works.pending = None
        self._swap_in(documents)  # (pending again if it fails again)

    def _fresh_state(self) -> None:
        self.journal.clear()
        self.faults.clear()
        self.random.reseed()
        start = self._fresh_start()
        self.clock.reset(manual=self.settings.manual_clock, time_scale=self.settings.time_scale, start=start)
        self.started_at = start

    # -- what several resources ask ----------------------------------------------------------------------------
    @property
    def cover_pages_dir(self) -> Path:
        return self.fixtures / "cover_pages"

    def cover_page_names(self) -> list[str]:
        return sorted(p.name for p in self.cover_pages_dir.glob("*.pdf"))

    def enabled_lines(self, session: Session) -> list[int]:
        """The line numbers (modems or SIP channels) in service: the queue uses only these."""
        return config.enabled_lines(session, self.settings.line_count, self.profile.is_ip)

    def line_states(self, session: Session) -> list[LineState]:
        """Every line as it is at this emulated instant."""
        enabled = self.enabled_lines(session)
        return line_states(
            session, self.clock.now(), self.settings.line_count, enabled, self.profile.is_ip, self.inbound
        )

    def receive_fax(self, arrival: Arrival, document: Path | None) -> InboundFax | Call:
        """A fax arrives: it takes a free line (or the caller gets busy: only a call record remains). Its
        document is rendered before the transaction and moved into place inside it."""
        prepared = self.inbound.prepare_document(arrival, document, self.store.incoming_file)
        try:
            with self.work() as work:
                session = work.session
                result = self.inbound.arrive(session, arrival, self.queue.free_lines(session), self.clock.now())
                if isinstance(result, InboundFax):
                    self.inbound.store_document(result, prepared)
                    self.quota.stored_file(work, self.inbound.document(result.id))
                    work.emit(
                        FaxReceived(
                            result.id, result.line_number, result.remote_id, result.caller_id, result.recipient,
                            result.pages,
                        )
                    )  # fmt: skip
                else:
                    work.emit(FaxReceived(None, result.line_number or None, result.remote_id, result.number))
        finally:
            if prepared is not None:
                prepared.unlink(missing_ok=True)
        return result

    def advance(self, seconds: float) -> int:
        """Move emulated time forward, running every transition due on the way, in order; the clock follows
        each step, so what is scheduled meanwhile is scheduled at the time reached."""
        epoch = self.works.epoch
        target = self.clock.now() + timedelta(seconds=seconds)
        if not in_range(target):
            raise ValueError(f"the emulated clock cannot go past {LATEST.isoformat()}")
        count = self.queue.run_until(target, move_clock=self.clock.advance_to, epoch=epoch)
        if self.queue.reach(target, epoch, self.clock.advance_to):  # not after a reset that came meanwhile
            self.bus.publish([ClockChanged()])
        return count

    def configure_clock(self, *, manual: bool | None, time_scale: float | None) -> None:
        """Switch manual/scaled or change the scale, without a jump in emulated time."""
        self.clock.configure(manual=manual, time_scale=time_scale)
        self.bus.publish([ClockChanged()])

    def intake(self) -> Intake:
        from emulator.ffws.ofax.fetch import FetchPolicy, HostRules
        from emulator.ffws.ofax.service import Intake

        return Intake(
            max_recipients=self.profile.max_recipients,
            max_document_bytes=self.profile.max_request_bytes,
            cover_pages=frozenset(self.cover_page_names()),
            store=self.store,
            quota=self.quota,
            outcome_for=self.outcome_for,
            external_enabled=self.settings.external_attachments,
            fetch=FetchPolicy(
                timeout=self.settings.external_timeout,
                limit=self.profile.max_request_bytes,
                allow=HostRules.parse(self.settings.external_allow),
                deny=HostRules.parse(self.settings.external_deny),
                own_ports=frozenset(self.listening_ports | {self.settings.port, self.settings.tls_port or 0}) - {0},
            ),
        )

    def outcome_for(self, fax_number: str) -> str:
        """What the far end will do for a newly scheduled entry: a fax fault, else the outcome rules."""
        return self.faults.outcome_for(fax_number) or outcome_for(fax_number, self.rules)
