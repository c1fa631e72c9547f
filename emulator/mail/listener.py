"""The SMTP server of fax by e-mail (``--smtp-listen-port``), on the server's event loop (aiosmtpd).

The sender is judged at MAIL, each address at RCPT, the content at DATA (emulator.mail.intake); every refusal is an
SMTP reply with its reason, and a mail is scheduled only if all of its addresses are."""

from __future__ import annotations

import asyncio
import logging
import socket
import weakref
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from emulator.mail.intake import MailIntake

if TYPE_CHECKING:
    from emulator.box import Box

log = logging.getLogger("emulator.mail")
NULL_SENDER = "<>"  # (MAIL FROM:<> as aiosmtpd hands it over)


class FaxByMail:
    """aiosmtpd's handler: the hooks it calls for MAIL, RCPT and DATA."""

    def __init__(self, intake: MailIntake) -> None:
        self.intake = intake

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        sender = "" if address == NULL_SENDER else address
        reply = await asyncio.to_thread(self.intake.sender_reply, sender)
        if reply.startswith("250"):  # (else no MAIL was taken: RCPT and DATA are answered "503 need MAIL")
            envelope.mail_from = address
            envelope.mail_options.extend(options)
        return reply

    async def handle_RCPT(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        taken = len(envelope.rcpt_tos)
        reply, ok = await asyncio.to_thread(self.intake.recipient_reply, envelope.mail_from or "", address, taken)
        if ok:
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        return await asyncio.to_thread(self.intake.receive, envelope.mail_from or "", list(envelope.rcpt_tos), content)

    async def handle_exception(self, error: Exception) -> str:
        log.exception("fax by e-mail failed", exc_info=error)
        return "451 4.3.0 internal error: the mail was not taken, try again later"


class Listener:
    """The SMTP server on ``sock`` (or a new socket on host:port), until ``stop``."""

    def __init__(self, box: Box) -> None:
        self.box = box
        self.handler = FaxByMail(MailIntake(box))
        self._server: asyncio.base_events.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()  # the connections open now
        self.port: int | None = None

    async def start(self, sock: socket.socket | None, host: str, port: int) -> None:
        if sock is None:
            from emulator.server import bind  # (the server module imports the app, which imports the box)

            sock = bind(host, port)
        limit = self.box.profile.max_request_bytes

        def protocol() -> Any:
            smtp = SMTP(self.handler, hostname="faxfinder", ident="FaxFinder", data_size_limit=limit,
                        enable_SMTPUTF8=True)  # fmt: skip
            self._sessions.add(smtp)
            return smtp

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(protocol, sock=sock)
        self.port = sock.getsockname()[1]

    async def stop(self) -> None:
        """No new connection, every open one closed (a mail not yet taken is not taken), and the socket released."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.close()
        for smtp in list(self._sessions):
            if smtp.transport is not None:
                smtp.transport.close()
        await server.wait_closed()
