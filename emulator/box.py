"""The box: one emulated FaxFinder (settings, database, clock, random source, line pool, queue, journal, faults)
and its life cycle: start (migrate, seed, recover), reset, stop."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator import paths
from emulator.clock import Clock, wall_now
from emulator.db import Base, Database
from emulator.db.engine import wipe
from emulator.db.migrate import upgrade
from emulator.db.models import load_models
from emulator.device import config
from emulator.device.inbound import Arrival, InboundFax, InboundLine
from emulator.device.lines import LineState, line_states
from emulator.device.models import Call, ClockState
from emulator.device.outcomes import load_rules, outcome_for
from emulator.device.preprocess import Preprocessor
from emulator.device.profiles import PROFILES
from emulator.device.queue import Queue
from emulator.device.runner import Runner
from emulator.device.store import DocumentStore
from emulator.faults import Faults
from emulator.ffws.auth import Authenticator, Passwords
from emulator.ffws.users.models import User
from emulator.journal import Journal
from emulator.randomness import RandomSource
from emulator.settings import Settings

if TYPE_CHECKING:
    from emulator.ffws.ofax.service import Intake


class Box:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.effective_database_url)
        self.zone = ZoneInfo(settings.timezone)
        self.clock = Clock(manual=settings.manual_clock, time_scale=settings.time_scale, start=self._fresh_start())
        self.started_at = self.clock.now()
        self.random = RandomSource(settings.seed)
        self.auth = Authenticator(self.db, Passwords(settings.argon2_time_cost, settings.argon2_memory_kib))
        self.fixtures = paths.fixtures_dir()
        self.profile = PROFILES[settings.model]
        self.store = DocumentStore(settings.documents_dir)
        self.rules = load_rules(self.fixtures / "outcomes.json")
        self.preprocessor = Preprocessor(self.store, self.cover_pages_dir, self.zone)
        self.inbound = InboundLine(self.store)
        self.queue = Queue(self.db, self.preprocessor, self.enabled_lines, self.inbound)
        self.runner = Runner(self.queue, self.clock)
        self.queue.on_change = self.runner.nudge
        self.journal = Journal(settings.journal_size, self.zone)
        self.faults = Faults(self.random)
        self._seed_hashes: dict[str, str] = {}
        self.ready = False

    def _fresh_start(self) -> datetime:
        return self.settings.start_time if self.settings.manual_clock else wall_now()

    # -- life cycle --------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Bring the schema to head, load the fixtures into an empty database, recover from a power cut."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(self.db.engine)
        with self.db.transaction() as session:
            if session.scalars(select(User.id).limit(1)).first() is None:
                self.seed(session)
            remembered = session.get(ClockState, 1)
        if remembered is not None and remembered.now > self.clock.now():
            self.clock.set(remembered.now)  # a restart never moves emulated time backwards
        self.store.clear_incoming()
        self.queue.recover(self.clock.now())
        self.started_at = self.clock.now()  # uptime counts from this start, after the remembered time
        self.ready = True

    def stop(self) -> None:
        if self.ready:
            self.queue.remember(self.clock.now())
        self.db.dispose()

    def seed(self, session: Session) -> None:
        for record in json.loads((self.fixtures / "users.json").read_text()):
            record = dict(record)
            password = record.pop("password")
            if record["username"] not in self._seed_hashes:
                self._seed_hashes[record["username"]] = self.auth.passwords.hash(password)
            session.add(User(password_hash=self._seed_hashes[record["username"]], **record))

    def wipe(self, session: Session) -> None:
        """Every row of every table gone (children first)."""
        load_models()
        wipe(session, Base.metadata.sorted_tables)

    def reset(self) -> None:
        """Everything back to the fixtures and the settings: data, documents, clock, journal, faults, caches."""
        with self.queue.lock:
            with self.queue.transaction() as session:
                self.wipe(session)
                self.seed(session)
            self.store.clear()
            self.auth.clear()
            self.journal.clear()
            self.faults.clear()
            self.random.reseed()
            start = self._fresh_start()
            self.clock.reset(manual=self.settings.manual_clock, time_scale=self.settings.time_scale, start=start)
            self.started_at = start
        self.runner.nudge()

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
        """A fax arrives: it takes a free line (or the caller gets busy: only a call record remains)."""
        with self.queue.transaction() as session:
            result = self.inbound.arrive(session, arrival, self.queue.free_lines(session), self.clock.now())
            if isinstance(result, InboundFax):
                self.inbound.store_document(result, document)
        self.runner.nudge()
        return result

    def advance(self, seconds: float) -> int:
        """Move emulated time forward, running every transition due on the way, in order."""
        target = self.clock.now() + timedelta(seconds=seconds)
        count = self.queue.run_until(target)
        self.clock.set(target)
        self.queue.remember(target)
        self.runner.nudge()
        return count

    def intake(self) -> Intake:
        from emulator.ffws.ofax.service import Intake

        return Intake(
            max_recipients=self.profile.max_recipients,
            max_document_bytes=self.profile.max_request_bytes,
            cover_pages=frozenset(self.cover_page_names()),
            store=self.store,
            outcome_for=self.outcome_for,
            external_enabled=self.settings.external_attachments,
            external_timeout=self.settings.external_timeout,
        )

    def outcome_for(self, fax_number: str) -> str:
        """What the far end will do for a newly scheduled entry: a fax fault, else the outcome rules."""
        return self.faults.outcome_for(fax_number) or outcome_for(fax_number, self.rules)

    def global_list_open(self, session: Session) -> bool:
        """May non-admin users write the global phone book? (device setting global_contacts_status)."""
        return bool(config.read_setting(session, "global_contacts_status")["non_admin_can_add"])
