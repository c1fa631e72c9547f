"""The one clock of the emulator.

Emulated time is either scaled real time (``time_scale`` emulated seconds per wall second) or a manual clock that
moves only when told. Nothing else in the emulator reads the wall clock: domain code asks this object for ``now()``.
Times are naive UTC datetimes; the wire layer turns them into device-local text.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

# The range emulated time stays in: a snapshot or an advance beyond it is refused, so that every later step, advance
# and timestamp still fits in a datetime (the largest is 9999-12-31).
EARLIEST = datetime(1970, 1, 1)
LATEST = datetime(9000, 1, 1)


def in_range(when: datetime) -> bool:
    return EARLIEST <= when <= LATEST


def wall_now() -> datetime:
    """The real UTC time, as a naive datetime: where the scaled clock starts on a new box."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


class Clock:
    def __init__(self, *, manual: bool, time_scale: float, start: datetime) -> None:
        self._lock = threading.Lock()
        self._manual = manual
        self._scale = time_scale
        self._anchor_emulated = start
        self._anchor_real = time.monotonic()

    # -- reading -----------------------------------------------------------------------------------------------
    def now(self) -> datetime:
        with self._lock:
            return self._now_locked()

    def _now_locked(self) -> datetime:
        if self._manual:
            return self._anchor_emulated
        return self._anchor_emulated + timedelta(seconds=self._elapsed_real() * self._scale)

    def _elapsed_real(self) -> float:
        """Real seconds since the anchor (monotonic: a process of its own never sees time jump)."""
        return time.monotonic() - self._anchor_real

    def _anchor_now(self) -> None:
        self._anchor_real = time.monotonic()

    @property
    def manual(self) -> bool:
        return self._manual

    @property
    def time_scale(self) -> float:
        return self._scale

    def wall_seconds_until(self, when: datetime) -> float | None:
        """How long to sleep in real time until ``when``; None under the manual clock (only a nudge moves it)."""
        with self._lock:
            if self._manual:
                return None
            return max(0.0, (when - self._now_locked()).total_seconds() / self._scale)

    # -- changing ----------------------------------------------------------------------------------------------
    def configure(self, *, manual: bool | None = None, time_scale: float | None = None) -> None:
        """Switch mode or scale without a jump: the current emulated instant is kept."""
        with self._lock:
            self._anchor_emulated = self._now_locked()
            self._anchor_now()
            if manual is not None:
                self._manual = manual
            if time_scale is not None:
                self._scale = time_scale

    def reset(self, *, manual: bool, time_scale: float, start: datetime) -> None:
        """Back to a fresh box's clock: mode, scale and instant (the one way time may go backwards)."""
        with self._lock:
            self._manual, self._scale = manual, time_scale
            self._anchor_emulated = start
            self._anchor_now()

    def advance_to(self, when: datetime) -> None:
        """Move the clock forward to ``when``; never backwards, under either clock (two advances at once)."""
        with self._lock:
            if when > self._now_locked():
                self._anchor_emulated = when
                self._anchor_now()

    def set(self, when: datetime) -> None:
        """Move the clock to ``when`` (never backwards under the scaled clock)."""
        with self._lock:
            if not self._manual:
                when = max(when, self._now_locked())
            self._anchor_emulated = when
            self._anchor_now()
