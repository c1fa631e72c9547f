"""Faults of a box served by several workers: one table, so a fault added through any worker applies to requests
and faxes served by every worker, and ``times`` counts matches wherever they happen (a match is claimed in the
database, never twice). A worker keeps a copy of the list and reads it again when its version moved."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from emulator.cluster.models import ClusterFault, ClusterState
from emulator.db import Database
from emulator.faults import Fault, Faults
from emulator.randomness import RandomSource

_COLUMNS = tuple(f.name for f in fields(Fault) if not f.name.startswith("_") and f.name != "matched")


class SharedFaults(Faults):
    def __init__(self, source: RandomSource, seed: int, db: Database, bump: Callable[[Session], None]) -> None:
        super().__init__(source)
        self._seed = seed  # the box's (FFEMU_SEED): unseeded faults draw from its one sequence, whichever worker draws
        self._db = db
        self._bump = bump  # moves the faults' version, in the transaction that changed them
        self._reload_lock = threading.Lock()

    def reload(self) -> None:
        with self._db.read() as session:
            rows = session.execute(select(ClusterFault).order_by(ClusterFault.id)).scalars().all()
            faults = [Fault(**{name: getattr(row, name) for name in (*_COLUMNS, "matched")}) for row in rows]
        with self._lock:
            self._faults = faults

    def add(self, **spec: Any) -> Fault:
        with self._db.transaction() as session:
            values = {name: spec.get(name, getattr(Fault, name, None)) for name in _COLUMNS if name != "id"}
            fault_id = session.execute(
                insert(ClusterFault).returning(ClusterFault.id), {**values, "matched": 0, "draws": 0}
            ).scalar_one()
            self._bump(session)
        self.reload()
        return next(f for f in self.all() if f.id == fault_id)

    def all(self) -> list[Fault]:
        self.reload()  # (the counts move with every match, on any worker)
        return super().all()

    def remove(self, fault_id: int) -> bool:
        with self._db.transaction() as session:
            removed = session.execute(delete(ClusterFault).where(ClusterFault.id == fault_id)).rowcount
            self._bump(session)
        self.reload()
        return bool(removed)

    def clear(self) -> None:
        """Every fault gone, and the box's random sequence back at its start (a reset)."""
        with self._db.transaction() as session:
            session.execute(delete(ClusterFault))
            if session.get_bind().dialect.name == "postgresql":  # ids start again at 1, as in memory (after any left)
                session.execute(text(
                    "SELECT setval(pg_get_serial_sequence('cluster_faults', 'id'), "
                    "COALESCE((SELECT MAX(id) FROM cluster_faults), 0) + 1, false)"
                ))  # fmt: skip
            session.execute(update(ClusterState).where(ClusterState.id == 1).values(random_draws=0))
            self._bump(session)
        with self._lock:
            self._faults = []

    def _fires(self, fault: Fault) -> bool:
        """A match draws (the fault's own seeded sequence, wherever it is drawn) and, if it hits, claims one of the
        fault's ``times`` in the database: two workers never both apply its last one."""
        with self._db.transaction() as session:
            if fault.probability < 1:
                seed, draws = self._draw(session, fault)
                if draws is None or self._source.nth(seed, draws) >= fault.probability:
                    return False  # (None: removed meanwhile)
            claimed = session.execute(
                update(ClusterFault)
                .where(ClusterFault.id == fault.id)
                .where((ClusterFault.times.is_(None)) | (ClusterFault.matched < ClusterFault.times))
                .values(matched=ClusterFault.matched + 1)
                .returning(ClusterFault.matched)
            ).scalar()
        if claimed is None:
            return False
        fault.matched = claimed
        return True

    def _draw(self, session: Session, fault: Fault) -> tuple[int, int | None]:
        """The next draw of the fault's own sequence, or of the box's when it has no seed: (seed, its number)."""
        if fault.seed is not None:
            table, where, column = ClusterFault, ClusterFault.id == fault.id, ClusterFault.draws
        else:
            table, where, column = ClusterState, ClusterState.id == 1, ClusterState.random_draws
        statement = update(table).where(where).values({column.key: column + 1}).returning(column)
        return (fault.seed if fault.seed is not None else self._seed), session.execute(statement).scalar()
