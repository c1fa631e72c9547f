"""Fax by e-mail in the journal: one entry per address of a mail (method ``SMTP``, path the address, status the SMTP
code), whatever its fate; one per address refused at RCPT; one with an empty path for a sender refused at MAIL."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from emulator.journal import KEEP_BODY

if TYPE_CHECKING:
    from emulator.clock import Clock
    from emulator.ffws.users.models import User
    from emulator.journal import Journal
    from emulator.mail.letter import Letter
    from emulator.mail.t37 import FaxAddress


class SmtpJournal:
    def __init__(self, journal: Journal, clock: Clock) -> None:
        self.journal = journal
        self.clock = clock

    def refused(self, path: str, sender: str, command: str, reply: str, error: str) -> None:
        """A command refused before the mail's content came (MAIL: ``path`` is empty; RCPT: the address)."""
        self._record(path, sender, reply, error, request=command.encode(), duration_ms=0.0)

    def received(
        self,
        recipients: list[str],
        sender: str,
        content: bytes,
        letter: Letter | None,
        user: User | None,
        parsed: dict[str, FaxAddress],
        keys: dict[str, str],
        reply: str,
        error: str | None,
        started: float,
    ) -> None:
        """A whole mail (DATA): an entry for each address, with what was read of the mail."""
        shown = letter.shown if letter is not None else content[:KEEP_BODY]
        attachments = [document.summary() for document in letter.documents] if letter is not None else []
        warnings = letter.warnings if letter is not None else []
        duration = round((time.perf_counter() - started) * 1000, 3)
        for address in recipients:
            options = parsed.get(address)
            self._record(
                address,
                sender,
                reply,
                error,
                request=shown,
                duration_ms=duration,
                request_size=len(content),
                user=user.username if user is not None else None,
                attachments=attachments,
                options=options.as_json() if options is not None else None,
                fax=keys.get(address),
                warnings=warnings + [f"ignored option {o}" for o in (options.ignored if options is not None else [])],
            )

    def _record(
        self, path: str, sender: str, reply: str, error: str | None, *, request: bytes, duration_ms: float, **more: Any
    ) -> None:
        entry = {
            "time": self.clock.now(),
            "method": "SMTP",
            "path": path,
            "query": "",
            "status": int(reply[:3]),
            "user": None,
            "duration_ms": duration_ms,
            "request_size": len(request),
            "request_body": request[:KEEP_BODY],
            "request_truncated": len(request) > KEEP_BODY,
            "response_body": reply.encode(),
            "reason": error,
            "attachments": [],
            "mail_from": sender,
            "options": None,
            "fax": None,
            "warnings": [],
        }
        self.journal.record({**entry, **more})
