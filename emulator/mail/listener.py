"""The SMTP server of fax by e-mail (``--smtp-listen-port``), on the server's event loop (aiosmtpd).

Addresses are judged at RCPT (a fax address with options the box takes), the sender and the content at DATA; every
refusal is an SMTP reply with its reason, and a mail is scheduled only if all of its addresses are."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from emulator.mail.intake import MailIntake, Refused
from emulator.mail.t37 import is_fax_address

if TYPE_CHECKING:
    from emulator.box import Box

log = logging.getLogger("emulator.mail")
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's log of every connection and command


class FaxByMail:
    """aiosmtpd's handler: the hooks it calls for RCPT and DATA."""

    def __init__(self, intake: MailIntake) -> None:
        self.intake = intake

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not is_fax_address(address):
            return f"550 5.1.1 <{address}>: not a fax address (FAX=number[/OPTION=value...]@host)"
        try:
            await asyncio.to_thread(self.intake.check_address, address)
        except Refused as exc:
            return exc.reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

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
        self.port: int | None = None

    async def start(self, sock: socket.socket | None, host: str, port: int) -> None:
        if sock is None:
            from emulator.server import bind  # (the server module imports the app, which imports the box)

            sock = bind(host, port)
        limit = self.box.profile.max_request_bytes

        def protocol() -> Any:
            return SMTP(self.handler, hostname="faxfinder", ident="FaxFinder", data_size_limit=limit,
                        enable_SMTPUTF8=True)  # fmt: skip

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(protocol, sock=sock)
        self.port = sock.getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
