"""The outbound queue: entries move preprocessing → pending → sending → sent | failed | dead, or aborted.

All state lives in the database; the queue only decides what happens next and when. ``run_until(t)`` performs every
transition due up to emulated time ``t`` in time order (the manual clock's ``advance`` and the background runner
both call it), so the same requests always give the same history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from emulator.db.work import UnitOfWork, Works
from emulator.device import models as m
from emulator.device.inbound import InboundLine
from emulator.device.models import Attempt, Call, ClockState, FaxEntry
from emulator.device.outcomes import digits_of, plan_try, preprocessing_seconds
from emulator.device.preprocess import Preprocessor, pages_of
from emulator.device.quota import disk_full
from emulator.events import Event, ReceptionEnded

log = logging.getLogger("emulator.queue")
ABORTED_MESSAGE = "Fax aborted by user"
QUEUE_ERROR_MESSAGE = "Fax failed: internal error"
RESTART_MESSAGE = "Call interrupted: the box restarted"


class Queue:
    def __init__(
        self,
        works: Works,
        preprocessor: Preprocessor,
        lines: Callable[[Session], list[int]],
        inbound: InboundLine,
    ) -> None:
        self.works = works
        self.preprocessor = preprocessor
        self.inbound = inbound
        self._lines = lines

    # -- when is the next thing due --------------------------------------------------------------------------
    @staticmethod
    def depth(session: Session) -> dict[str, int]:
        """Entries not final yet, by state (every state not final, 0 for those none is in)."""
        stmt = select(FaxEntry.state, func.count()).where(FaxEntry.state.in_(m.OPEN_STATES))
        found = dict(session.execute(stmt.group_by(FaxEntry.state)).all())
        return {state: found.get(state, 0) for state in m.OPEN_STATES}

    def free_lines(self, session: Session) -> list[int]:
        busy = set(session.scalars(select(Attempt.line_number).where(Attempt.finished.is_(False))))
        busy |= self.inbound.busy_lines(session)
        return [n for n in self._lines(session) if n not in busy]

    def next_due(self, session: Session) -> datetime | None:
        def earliest(*states: str) -> datetime | None:
            stmt = select(func.min(FaxEntry.due_at)).where(FaxEntry.state.in_(states))
            return session.scalar(stmt)

        candidates = [earliest(m.PREPROCESSING, m.SENDING), self.inbound.next_due(session)]
        if self.free_lines(session):
            candidates.append(earliest(m.PENDING))
        due = [c for c in candidates if c is not None]
        return min(due) if due else None

    # -- running ----------------------------------------------------------------------------------------------
    def run_until(
        self, target: datetime, move_clock: Callable[[datetime], None] | None = None, epoch: int | None = None
    ) -> int:
        """Perform, in time order, every transition due at or before ``target``; returns how many.

        Documents are converted outside the queue's lock (a schedule, an abort or a reset never waits for a
        conversion); each step is one short transaction under it. ``move_clock`` (the manual clock's advance) is
        told each step's time right after the step commits, so a fax scheduled while an advance runs is scheduled
        at the time reached. A reset or an import (``epoch`` changed) ends the run: its target belonged to the old
        state."""
        epoch = self.works.epoch if epoch is None else epoch
        done = 0
        while True:
            self.preprocessor.convert_due(self.works, target)
            try:
                ran = self._run_step(target, epoch, move_clock)
            except Exception:  # one entry's failure must not stall the others: again, each entry on its own
                log.exception("queue step failed; running it again entry by entry")
                ran = self._run_step(target, epoch, move_clock, careful=True)
            if ran is None:
                break
            count, waiting = ran
            done += count
            if count == 0 and not waiting:
                break
        return done

    def _run_step(
        self, target: datetime, epoch: int, move_clock: Callable[[datetime], None] | None, *, careful: bool = False
    ) -> tuple[int, int] | None:
        """The next step due by ``target``, in one unit of work: (transitions, entries waiting for their
        conversion), or None when nothing is due or the state was replaced since the run began."""
        with self.works() as work:
            session = work.session
            if self.works.epoch != epoch:
                return None
            due = self.next_due(session)
            if due is None or due > target:
                return None
            floor = self._last_time(session)
            if floor is not None:
                # Nothing happens before what already happened: an entry that waited for a line freed outside
                # a step (an abort, a line put back in service) starts when the line was freed.
                due = max(due, min(floor, target))
            count, waiting = self._step(work, due, careful)
            self._remember_time(session, due)
            if move_clock is not None:
                work.on_commit(lambda: move_clock(due))
        return count, waiting

    def reach(self, target: datetime, epoch: int, move_clock: Callable[[datetime], None]) -> bool:
        """The end of an advance: remember ``target`` and move the clock there, unless a reset or an import
        replaced the state since the advance began (its target belonged to the old state)."""
        with self.works() as work:
            session = work.session
            if self.works.epoch != epoch:
                return False
            self._remember_time(session, target)
            work.on_commit(lambda: move_clock(target))
        return True

    def _step(self, work: UnitOfWork, now: datetime, careful: bool = False) -> tuple[int, int]:
        """Every transition due at ``now``: how many ran, and how many entries wait for their conversion.
        ``careful``: each entry's transition in a savepoint of its own, an entry that fails ends ``dead``."""
        session = work.session
        each = _isolated if careful else _plain
        received = self.inbound.finish_due(session, now)
        events: list[Event] = [
            ReceptionEnded(f.id, f.line_number, f.pages, f.result, f.recipient, f.remote_id) for f in received
        ]
        ending = self._due(session, now, m.SENDING)
        # One query for the calls of every entry that ends now, not one (and a flush) per entry.
        ids = [e.id for e in ending]
        calls = session.scalars(select(Attempt).where(Attempt.finished.is_(False), Attempt.entry_id.in_(ids)))
        open_calls = {attempt.entry_id: attempt for attempt in calls}
        for entry in ending:
            each(session, entry, now, lambda e=entry: self._finish_try(session, e, open_calls.get(e.id), now))
            events.append(entry.changed(m.SENDING))
        # An entry whose documents are not converted yet (scheduled while this run converted others) stays due:
        # the next round converts it. Only a recorded conversion error makes an entry dead.
        waiting = 0
        for entry in self._due(session, now, m.PREPROCESSING):
            if each(session, entry, now, lambda e=entry: self.preprocessor.finish(e, now)):
                events.append(entry.changed(m.PREPROCESSING))
            else:
                waiting += 1
        events += self._dispatch(session, now, each)
        work.emit(*events)
        return len(events), waiting

    @staticmethod
    def _due(session: Session, now: datetime, state: str) -> list[FaxEntry]:
        stmt = (
            select(FaxEntry)
            .where(FaxEntry.state == state, FaxEntry.due_at <= now)
            .order_by(FaxEntry.due_at, FaxEntry.fax_id, FaxEntry.number)
        )
        return list(session.scalars(stmt))

    def _dispatch(self, session: Session, now: datetime, each: Transition) -> list[Event]:
        """Free lines take the most urgent pending entries: the events of the tries that start."""
        free = self.free_lines(session)
        if not free:
            return []
        # Most urgent first: lower priority number, then earlier send time, then order of scheduling.
        stmt = (
            select(FaxEntry)
            .join(m.Fax)
            .where(FaxEntry.state == m.PENDING, FaxEntry.due_at <= now)
            .order_by(m.Fax.priority, FaxEntry.due_at, FaxEntry.fax_id, FaxEntry.number)
            .limit(len(free))
        )
        started: list[Event] = []
        for line, entry in zip(free, session.scalars(stmt), strict=False):
            each(session, entry, now, lambda e=entry, n=line: self._start_try(session, e, n, now))
            started.append(entry.changed(m.PENDING, line if entry.state == m.SENDING else None))
        return started

    def _start_try(self, session: Session, entry: FaxEntry, line: int, now: datetime) -> None:
        plan = plan_try(entry.outcome, entry.try_number, entry.pages, now)
        session.add(
            Attempt(
                entry_id=entry.id,
                owner=entry.fax.owner,
                try_number=entry.try_number,
                line_number=line,
                fax_number=entry.recipient_fax_number,
                start_time=now,
                connect_time=plan.connect_time,
                end_time=plan.end_time,
                page_seconds=plan.page_seconds,
                pages_planned=entry.pages,
                pages_sent=plan.pages_sent,
                baud_rate=plan.baud_rate,
                remote_id=remote_id_for(entry.recipient_fax_number) if plan.connect_time else "",
                result=plan.result,
                result_message=plan.message,
                call_result=plan.call_result,
                finished=False,
            )
        )
        entry.state = m.SENDING
        entry.schedule_message = ""
        entry.stime = now
        entry.due_at = plan.end_time

    def _finish_try(self, session: Session, entry: FaxEntry, attempt: Attempt | None, now: datetime) -> None:
        if attempt is not None:
            close_attempt(session, attempt, now)
            result, message = attempt.result, attempt.result_message
        else:  # an entry left sending without a call (should not happen): try again
            result, message = "failed", RESTART_MESSAGE
        if result == "success":
            entry.complete(m.SENT, message, now)
        elif result == "not_in_service":
            entry.complete(m.DEAD, message, now)
        elif entry.try_number < entry.fax.max_tries:
            entry.state = m.PENDING
            entry.try_number += 1
            entry.schedule_message = message
            entry.stime = now + timedelta(seconds=entry.fax.try_interval)
            entry.due_at = entry.stime
        else:
            entry.complete(m.FAILED, message, now)

    def remember(self, now: datetime) -> None:
        """Persist the emulated time, so a restart resumes from here."""
        with self.works() as work:
            self._remember_time(work.session, now)

    @staticmethod
    def _last_time(session: Session) -> datetime | None:
        state = session.get(ClockState, 1)
        return state.now if state is not None else None

    def _remember_time(self, session: Session, now: datetime) -> None:
        state = session.get(ClockState, 1)
        if state is None:
            session.add(ClockState(id=1, now=now))
        elif now > state.now:
            state.now = now

    # -- what users ask for (inside a writing unit of work: the queue's lock is held) -------------------------
    def abort(self, session: Session, entry: FaxEntry, now: datetime) -> None:
        """Abort an entry that is not final yet (a sending line hangs up)."""
        if entry.state == m.SENDING:
            attempt = open_attempt(session, entry.id)
            if attempt is not None:
                attempt.result, attempt.result_message = "aborted", ABORTED_MESSAGE
                attempt.call_result = "failed"
                close_attempt(session, attempt, now)
        entry.complete(m.ABORTED, ABORTED_MESSAGE, now)
        self._remember_time(session, now)  # a line freed now serves the next entry from now on, not earlier

    def reschedule(self, session: Session, entry: FaxEntry, when: datetime) -> bool:
        """Send again at ``when`` with a fresh series of tries; False for an entry that cannot be (14)."""
        fax = entry.fax
        if entry.state not in (m.PENDING, m.SENT, m.FAILED, m.DEAD, m.ABORTED) or fax.conversion_error:
            return False
        entry.try_number = 1
        entry.schedule_message = "Rescheduled"
        entry.stime = when
        entry.completed_at = None
        if fax.document_pages is None:  # aborted before its documents were converted: convert them first
            entry.state = m.PREPROCESSING
            entry.due_at = when + timedelta(seconds=preprocessing_seconds(len(fax.attachments), fax.cover_enabled))
        else:  # (an entry aborted while its fax was converted never learnt its page count)
            entry.state = m.PENDING
            entry.pages = pages_of(fax)
            entry.due_at = when
        return True

    def recover(self, now: datetime) -> int:
        """After a power cut: calls that were up are logged as interrupted and their entries retried at once."""
        with self.works(write=False) as look:  # the usual start: no call was up, and nothing needs writing
            if look.session.scalar(select(Attempt.id).where(Attempt.finished.is_(False)).limit(1)) is None:
                return 0
        with self.works() as work:
            session = work.session
            attempts = list(session.scalars(select(Attempt).where(Attempt.finished.is_(False))))
            for attempt in attempts:
                attempt.result, attempt.result_message, attempt.call_result = "failed", RESTART_MESSAGE, "failed"
                close_attempt(session, attempt, min(now, attempt.end_time))
                entry = attempt.entry
                entry.state = m.PENDING
                entry.schedule_message = RESTART_MESSAGE
                entry.stime = now
                entry.due_at = now
                work.emit(entry.changed(m.SENDING))
            return len(attempts)


Transition = Callable[[Session, FaxEntry, datetime, Callable[[], object]], object]


def _plain(_session: Session, _entry: FaxEntry, _now: datetime, action: Callable[[], object]) -> object:
    return action()


def _isolated(session: Session, entry: FaxEntry, now: datetime, action: Callable[[], object]) -> object:
    """Run one entry's transition in a savepoint; if it fails, only that entry ends ``dead`` (unless the disk is
    full, which is no fault of the entry's)."""
    try:
        with session.begin_nested():
            return action()
    except Exception as exc:
        if disk_full(exc):  # the box's trouble, not the entry's: the whole step is tried again later
            raise
        log.exception("fax entry %s/%s failed in the queue: it ends dead", entry.fax_id, entry.number)
        with session.begin_nested():
            attempt = open_attempt(session, entry.id)
            if attempt is not None:  # its call ends too: the line is free again
                attempt.result, attempt.result_message, attempt.call_result = "failed", QUEUE_ERROR_MESSAGE, "failed"
                close_attempt(session, attempt, max(now, attempt.start_time))
            entry.complete(m.DEAD, QUEUE_ERROR_MESSAGE, now)
        return True


def open_attempt(session: Session, entry_id: int) -> Attempt | None:
    stmt = select(Attempt).where(Attempt.entry_id == entry_id, Attempt.finished.is_(False))
    return session.scalars(stmt).first()


def close_attempt(session: Session, attempt: Attempt, now: datetime) -> None:
    """End a call at ``now`` (its planned end, or earlier when aborted) and write its call-log record."""
    if now < attempt.end_time:
        attempt.end_time = now
        attempt.pages_sent = pages_done(attempt, now)
    attempt.finished = True
    session.add(
        Call(
            direction="outbound",
            owner=attempt.owner,
            start_time=attempt.start_time,
            end_time=attempt.end_time,
            line_number=attempt.line_number,
            number=attempt.fax_number,
            remote_id=attempt.remote_id,
            result=attempt.call_result,
        )
    )


def pages_done(attempt: Attempt, now: datetime) -> int:
    if attempt.connect_time is None or now <= attempt.connect_time:
        return 0
    elapsed = (now - attempt.connect_time).total_seconds()
    return min(attempt.pages_planned, int(elapsed // attempt.page_seconds))


def current_page(attempt: Attempt, now: datetime) -> int:
    """The page on the wire at ``now`` (1-based; 0 before connecting)."""
    if attempt.connect_time is None or now < attempt.connect_time:
        return 0
    return min(max(attempt.pages_planned, 1), pages_done(attempt, now) + 1)


def remote_id_for(fax_number: str) -> str:
    """The far end's station id (CSID): its number, digits only, as fax machines usually announce it."""
    return digits_of(fax_number)[-20:]
