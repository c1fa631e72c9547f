"""Delivering the mail queue to a real SMTP server (``--smtp-url``) with aiosmtplib, on the server's event loop.

Each due mail is tried in turn: marked ``sending`` (one try more) in a short transaction, sent, then ``delivered``,
``failed`` (the server refused it for good: a 5xx) or ``queued`` again for its next try after a back-off of
60 s, 120 s, 240 s … up to an hour, in emulated time: under the manual clock the next try comes when a client
advances the clock past it. A mail is never dropped for a server that is down or busy. The password of the URL is
only ever given to the client library."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import aiosmtplib
from sqlalchemy import select

from emulator.clock import Clock
from emulator.db.work import Works
from emulator.device.store import DocumentStore
from emulator.events import MailChanged
from emulator.mail.models import DELIVERED, FAILED, QUEUED, SENDING, Mail, mail_if
from emulator.mail.target import SmtpTarget

log = logging.getLogger("emulator.mail")
FIRST_BACKOFF, MAX_BACKOFF = 60, 3600  # emulated seconds
TIMEOUT = 30.0  # wall seconds for one try, connect to the server's last answer
HELO_NAME = "faxfinder"


def backoff(attempts: int) -> int:
    """Emulated seconds before the next try, after ``attempts`` tries."""
    return min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** max(0, attempts - 1))


class Delivery:
    def __init__(self, works: Works, store: DocumentStore, clock: Clock, target: SmtpTarget) -> None:
        self.works, self.store, self.clock, self.target = works, store, clock, target

    def due(self) -> list[int]:
        now = self.clock.now()
        with self.works(write=False) as look:
            stmt = select(Mail.id).where(Mail.state == QUEUED, Mail.next_attempt_at <= now).order_by(Mail.id)
            return list(look.session.scalars(stmt))

    async def deliver_due(self) -> int:
        """Try every mail due now, one after the other; how many were delivered. A reset or an import meanwhile
        voids the rest of the list (its numbers may name the new state's mails)."""
        epoch = self.works.epoch
        delivered = 0
        for mail_id in await asyncio.to_thread(self.due):
            if self.works.epoch != epoch:
                break
            delivered += await self.deliver(mail_id, epoch)
        return delivered

    async def deliver(self, mail_id: int, epoch: int) -> int:
        claimed = await asyncio.to_thread(self._claim, mail_id, epoch)
        if claimed is None:
            return 0
        sender, recipient = claimed
        try:
            data = await asyncio.to_thread(self.store.mail(mail_id).read_bytes)
            await self._send(data, sender, recipient)
        except Exception as exc:
            state, error = _judged(exc)
            log.info("mail %s not delivered to %s: %s", mail_id, self.target.shown, error)
        else:
            state, error = DELIVERED, ""
        finished = await asyncio.to_thread(self._finish, mail_id, epoch, state, error)
        return int(finished and state == DELIVERED)

    async def _send(self, data: bytes, sender: str, recipient: str) -> None:
        target = self.target
        await aiosmtplib.send(
            data,
            sender=sender,
            recipients=[recipient],
            hostname=target.host,
            port=target.port,
            username=target.username or None,
            password=target.password or None,
            use_tls=target.tls,
            start_tls=target.starttls,
            local_hostname=HELO_NAME,
            timeout=TIMEOUT,
        )

    def _claim(self, mail_id: int, epoch: int) -> tuple[str, str] | None:
        """The mail marked as being sent (one try more), if it is still due: its envelope sender and recipient."""
        with self.works() as work:
            mail = mail_if(self.works, work.session, mail_id, epoch, QUEUED)
            now = self.clock.now()
            if mail is None or mail.next_attempt_at is None or mail.next_attempt_at > now:
                return None
            mail.state, mail.attempts, mail.last_attempt_at = SENDING, mail.attempts + 1, now
            work.emit(MailChanged(mail.id, mail.state, mail.attempts))
            return mail.sender, mail.recipient

    def _finish(self, mail_id: int, epoch: int, state: str, error: str) -> bool:
        """The try's end recorded; False when the mail is no longer the one tried (emptied, reset or imported)."""
        with self.works() as work:
            mail = mail_if(self.works, work.session, mail_id, epoch, SENDING)
            if mail is None:
                return False
            now = self.clock.now()
            mail.state, mail.last_error = state, error
            if state == DELIVERED:
                mail.delivered_at = now
            elif state == QUEUED:
                mail.next_attempt_at = now + timedelta(seconds=backoff(mail.attempts))
            work.emit(MailChanged(mail.id, mail.state, mail.attempts))
        return True


def _judged(exc: Exception) -> tuple[str, str]:
    """(state, why): a server's 5xx refuses the mail for good; anything else (no server, 4xx, a timeout) is tried
    again later."""
    codes: list[int] = []
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        text = "; ".join(f"{refused.code} {refused.message}" for refused in exc.recipients)
    elif isinstance(exc, aiosmtplib.SMTPResponseException):
        codes = [exc.code]
        text = f"{exc.code} {exc.message}"
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    permanent = bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, aiosmtplib.SMTPNotSupported):  # (STARTTLS or AUTH the server does not offer)
        permanent = True
    return (FAILED if permanent else QUEUED), text
