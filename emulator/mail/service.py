"""The box's mail: the queue (what the control plane shows), its composer, its delivery to --smtp-url and the task
that drives them, and the fax-by-e-mail listener. Mails are queued by events, inside the transactions that cause
them (emulator.mail.enqueue); everything else happens here, off the requests and off the fax queue."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING

from emulator.device.quota import disk_full
from emulator.device.runner import Waker
from emulator.events import ClockChanged, EntryStateChanged, EventBus, MailQueued, ReceptionEnded, StateReplaced
from emulator.mail.composer import Composer
from emulator.mail.enqueue import Enqueue
from emulator.mail.options import MailOptions
from emulator.mail.outbox import Outbox
from emulator.mail.templates import Templates

if TYPE_CHECKING:
    from emulator.box import Box
    from emulator.db.work import UnitOfWork
    from emulator.mail.delivery import Delivery
    from emulator.mail.listener import Listener

log = logging.getLogger("emulator.mail")


class MailQueue:
    def __init__(self, box: Box) -> None:
        settings = box.settings
        self.box = box
        self.target = settings.smtp_target
        defaults = MailOptions(settings.fax_output_format, settings.email_size_limit, settings.email_fax_details)
        delivers = self.target is not None
        self.outbox = Outbox(
            box.works, box.store, box.quota, box.zone, defaults, settings.outbox_size, delivers=delivers
        )
        self.composer = Composer(
            box.works,
            box.store,
            box.quota,
            box.preprocessor,
            Templates(box.fixtures / "mail"),
            box.zone,
            settings.line_count,
            settings.conversion_limits,
            defaults,
            delivers=delivers,
        )
        self.delivery: Delivery | None = None
        if self.target is not None:
            from emulator.mail.delivery import Delivery  # (the SMTP client is loaded only where mail is delivered)

            self.delivery = Delivery(box.works, box.store, box.clock, self.target)
        self.enqueue = Enqueue(box.zone, box.profile.line_word)
        self.runner = MailRunner(self)
        self.listener: Listener | None = None
        self.listen_socket: socket.socket | None = None  # bound by the server before it starts (a clear error)

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe_within(EntryStateChanged, self.enqueue.entry_changed)
        bus.subscribe_within(ReceptionEnded, self.enqueue.reception_ended)
        bus.subscribe_within(StateReplaced, self._replaced)
        bus.subscribe((MailQueued, ClockChanged, StateReplaced), lambda _event: self.runner.nudge(), remote=True)

    def _replaced(self, _event: StateReplaced, work: UnitOfWork) -> None:
        """An imported mail is put where it can move in the import's own transaction: a try of the new state
        begun after the commit is never undone."""
        with work.session.begin_nested():
            self.outbox.unstick(work.session)

    def recover(self) -> int:
        """At start: every mail where something will move it (with the settings of this start)."""
        with self.box.works() as work:
            return self.outbox.unstick(work.session)

    def settle(self) -> int:
        """Every queued mail composed (a listing shows them whole), the oldest finished ones past the size
        forgotten; how many were composed."""
        composed = self.composer.compose_pending()
        self.outbox.prune()
        return composed

    def flush(self) -> int:
        count = self.outbox.flush(self.box.clock.now())
        self.runner.nudge()
        return count

    @property
    def listening_port(self) -> int | None:
        return self.listener.port if self.listener is not None else None

    # -- with the server ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        await self.runner.start()
        port = self.box.settings.smtp_listen_port
        if port is not None:
            from emulator.mail.listener import Listener  # (aiosmtpd is loaded only for a box that listens)

            self.listener = Listener(self.box)
            sock, self.listen_socket = self.listen_socket, None
            await self.listener.start(sock, self.box.settings.host, port)

    async def stop(self) -> None:
        if self.listener is not None:
            await self.listener.stop()
        await self.runner.stop()


class MailRunner(Waker):
    """Composes what is queued, delivers what is due (with --smtp-url), then sleeps until the next try is due in
    emulated time, a nudge (a mail queued, the clock moved) or a nap."""

    name = "mail-queue"

    def __init__(self, mail: MailQueue) -> None:
        super().__init__(mail.box.clock, mail.box.leads, mail.box.refresh)
        self.mail = mail

    async def _run(self) -> None:
        mail = self.mail
        while True:
            try:
                if not self.may_run():  # another worker serving the box composes and delivers
                    await self._sleep(None, idle=False)
                    continue
                await asyncio.to_thread(self.refresh)
                await asyncio.to_thread(mail.settle)
                due = None
                if mail.delivery is not None:
                    await mail.delivery.deliver_due()
                    due = await asyncio.to_thread(mail.outbox.next_due)
                await self._sleep(due)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a mail that cannot be composed or tried now is tried again on the next turn
                if disk_full(exc):  # (every turn until there is room: a line each, not a traceback)
                    log.warning("mail queue step failed: the disk is full (%s); trying again", exc)
                else:
                    log.exception("mail queue step failed")
                await self._sleep(None, idle=False)
