"""The clock of a box served by several workers: its anchors live in the database, so every worker reads the same
emulated time. Under the scaled clock each worker computes it from wall time (the workers share one host's clock, or
synchronised ones); under the manual clock it is the stored instant. A change made through one worker is written at
once; the others read it again when the clock's version moved (before each request they serve)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, text, update
from sqlalchemy.orm import Session

from emulator.clock import Clock
from emulator.cluster.models import ClusterState
from emulator.cluster.notices import CHANNEL, notice_of
from emulator.db import Database
from emulator.events import ClockChanged

_CHANGED = notice_of(ClockChanged(), "clock")


class SharedClock(Clock):
    def __init__(self, db: Database, *, manual: bool, time_scale: float, start: datetime) -> None:
        super().__init__(manual=manual, time_scale=time_scale, start=start)
        self._db = db
        self._anchor_wall = time.time()

    # Wall time, not the monotonic clock: the anchor must mean the same instant to every worker.
    def _elapsed_real(self) -> float:
        return time.time() - self._anchor_wall

    def _anchor_now(self) -> None:
        self._anchor_wall = time.time()

    def load(self, row: ClusterState) -> None:
        """The clock as the database says (another worker changed it)."""
        with self._lock:
            self._manual, self._scale = row.manual, row.time_scale
            self._anchor_emulated, self._anchor_wall = row.anchor_emulated, row.anchor_wall

    def values(self) -> dict:
        with self._lock:
            return {
                "manual": self._manual,
                "time_scale": self._scale,
                "anchor_emulated": self._anchor_emulated,
                "anchor_wall": self._anchor_wall,
            }

    def _store(self, session: Session | None = None, *, forward_only: bool = False) -> None:
        values = self.values()
        statement = update(ClusterState).where(ClusterState.id == 1)
        if forward_only and values["manual"]:  # two workers advancing at once: the later instant stays
            values["anchor_emulated"] = func.greatest(ClusterState.anchor_emulated, values["anchor_emulated"])
        statement = statement.values(**values, clock_version=ClusterState.clock_version + 1)
        # The other workers hear of it when it commits (their runner, asleep until the old clock's next due time,
        # wakes and reads the new one).
        notice = text("SELECT pg_notify(:channel, :payload)").bindparams(channel=CHANNEL, payload=_CHANGED)
        if session is not None:
            session.execute(statement)
            session.execute(notice)
            return
        with self._db.transaction() as own:
            own.execute(statement)
            own.execute(notice)

    def configure(self, *, manual: bool | None = None, time_scale: float | None = None) -> None:
        super().configure(manual=manual, time_scale=time_scale)
        self._store()

    def reset(self, *, manual: bool, time_scale: float, start: datetime) -> None:
        super().reset(manual=manual, time_scale=time_scale, start=start)
        self._store()

    def advance_to(self, when: datetime) -> None:
        super().advance_to(when)
        self._store(forward_only=True)

    def set(self, when: datetime) -> None:
        super().set(when)
        self._store()


def write_initial(session: Session, clock: Clock) -> ClusterState:
    """The first worker of a box writes the clock it starts with (the others then read it)."""
    values = {"manual": clock.manual, "time_scale": clock.time_scale, "anchor_emulated": clock.now()}
    row = ClusterState(id=1, anchor_wall=time.time(), **values)
    row.clock_version = row.faults_version = row.credentials_version = row.state_version = row.random_draws = 0
    session.add(row)
    session.flush()
    return row


__all__ = ["SharedClock", "write_initial", "Callable", "timedelta"]
