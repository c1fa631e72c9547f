"""The box: one emulated FaxFinder (settings, database, clock, random source, authentication) and its life cycle."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from emulator import paths
from emulator.clock import Clock
from emulator.db import Database
from emulator.db.migrate import upgrade
from emulator.ffws.auth import Authenticator, Passwords
from emulator.ffws.users.models import User
from emulator.randomness import RandomSource
from emulator.settings import Settings


class Box:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.effective_database_url)
        self.zone = ZoneInfo(settings.timezone)
        self.clock = Clock(manual=settings.manual_clock, time_scale=settings.time_scale, start=settings.start_time)
        self.random = RandomSource(settings.seed)
        self.auth = Authenticator(self.db, Passwords(settings.argon2_time_cost, settings.argon2_memory_kib))
        self.fixtures = paths.fixtures_dir()
        self.ready = False

    # -- life cycle --------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Bring the schema to head and load the fixtures into an empty database."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade(self.db.engine)
        with self.db.transaction() as session:
            if session.scalars(select(User.id).limit(1)).first() is None:
                self.seed(session)
        self.ready = True

    def stop(self) -> None:
        self.db.dispose()

    def seed(self, session: Session) -> None:
        for record in json.loads((self.fixtures / "users.json").read_text()):
            record = dict(record)
            password = record.pop("password")
            session.add(User(password_hash=self.auth.passwords.hash(password), **record))

    # -- what several resources ask ----------------------------------------------------------------------------
    @property
    def cover_pages_dir(self) -> Path:
        return self.fixtures / "cover_pages"

    def cover_page_names(self) -> list[str]:
        return sorted(p.name for p in self.cover_pages_dir.glob("*.pdf"))

    def global_list_open(self, session: Session) -> bool:
        """May non-admin users write the global phone book? (device setting global_contacts_status)."""
        return False
