"""The background runner: sleeps until the clock reaches the queue's next due transition, then runs it.

Under the manual clock it only waits: time moves when a client advances it, and the advance runs the transitions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from emulator.clock import Clock
from emulator.device.queue import Queue
from emulator.device.quota import disk_full

log = logging.getLogger("emulator.queue")
MAX_NAP = 2.0  # wall seconds: re-read the schedule at least this often (clock changes, new faxes)


class Waker:
    """A task on the server's event loop that sleeps until it is nudged (from any thread) or a timeout passes."""

    name = "waker"

    def __init__(
        self, clock: Clock, may_run: Callable[[], bool] = lambda: True, refresh: Callable[[], None] = lambda: None
    ) -> None:
        self.clock = clock
        # Among workers serving one box, only the leader works in the background, and it reads what the others
        # changed (the clock first) before it looks.
        self.may_run = may_run
        self.refresh = refresh
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._nudged = threading.Event()  # a wake-up is on its way: further nudges cost nothing

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._nudged.clear()  # (a nudge lost when a previous loop closed must not silence this one)
        self._task = asyncio.create_task(self._run(), name=self.name)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def nudge(self) -> None:
        """Something changed (a fax scheduled, the clock switched): look at the schedule again. Thread-safe."""
        if self._loop is None or self._wake is None or self._loop.is_closed() or self._nudged.is_set():
            return
        self._nudged.set()
        try:
            self._loop.call_soon_threadsafe(self._woken)
        except RuntimeError:  # the loop closed meanwhile
            self._nudged.clear()

    def _woken(self) -> None:
        self._nudged.clear()
        if self._wake is not None:
            self._wake.set()

    async def _sleep(self, due: datetime | None, *, idle: bool = True) -> None:
        """Until emulated time ``due`` (None: nothing is due), a nudge, or MAX_NAP; under the manual clock with
        nothing due and ``idle``, until a nudge only."""
        assert self._wake is not None
        wait = None if due is None else self.clock.wall_seconds_until(due)
        timeout: float | None = MAX_NAP if wait is None else min(wait, MAX_NAP)
        if wait is None and self.clock.manual and idle:
            timeout = None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=timeout)
        self._wake.clear()

    async def _run(self) -> None:
        raise NotImplementedError


class Runner(Waker):
    name = "fax-queue"

    def __init__(
        self,
        queue: Queue,
        clock: Clock,
        may_run: Callable[[], bool] = lambda: True,
        refresh: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(clock, may_run, refresh)
        self.queue = queue

    def _next_due(self) -> datetime | None:
        self.refresh()
        with self.queue.works(write=False) as look:
            return self.queue.next_due(look.session)

    async def _run(self) -> None:
        while True:
            try:
                await self._sleep(await asyncio.to_thread(self._next_due))
                if not self.clock.manual and self.may_run():
                    await asyncio.to_thread(self.queue.run_until, self.clock.now())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a failing transition must not stop the box; it is retried on the next turn
                if disk_full(exc):  # nothing was applied: the same step runs once there is room again
                    log.warning("fax queue step failed: the disk is full (%s); trying again", exc)
                else:
                    log.exception("fax queue step failed")
                await self._sleep(None, idle=False)  # try again on the next nudge, or after a nap
