"""Fax by e-mail: a mail to FAX=… addresses from a user's e-mail address becomes one fax per address, exactly as
``POST /ffws/v1/ofax`` would make it (the same checks, limits, queue and journal), with the agent ``T.37``.

Each step of the SMTP exchange is judged as early as it can be: the envelope's sender at MAIL (a user's address,
among the T.37 settings' allowed senders, with fax by e-mail enabled), each address at RCPT (a fax address with
options the box takes, no more than a fax's recipients), the content at DATA (From: the same user, what POST /ofax
would take). Every refusal is a reply with its reason and a journal entry; a problem that will not go away by
itself is a 5xx. All the addresses of one mail are scheduled in one transaction: all or none."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from emulator.device.config import read_setting
from emulator.ffws.users import service as users
from emulator.ffws.users.models import User
from emulator.mail.faxes import Faxes
from emulator.mail.letter import Letter, Unreadable, read_letter
from emulator.mail.replies import Refused
from emulator.mail.smtp_journal import SmtpJournal
from emulator.mail.t37 import AddressError, FaxAddress, is_fax_address, parse_fax_address

if TYPE_CHECKING:
    from emulator.box import Box

log = logging.getLogger("emulator.mail")
T37 = "t37_settings"
__all__ = ["MailIntake", "Refused", "sender_allowed"]


class MailIntake:
    def __init__(self, box: Box) -> None:
        self.box = box
        self.max_recipients = box.profile.max_recipients
        self.journal = SmtpJournal(box.journal, box.clock)

    # -- MAIL FROM ------------------------------------------------------------------------------------------------
    def sender_reply(self, address: str) -> str:
        """The answer to MAIL FROM: a stranger is refused before sending anything (``""``: the null sender)."""
        try:
            self.sender(address)
        except Refused as exc:
            self.journal.refused("", address, f"MAIL FROM:<{address}>", exc.reply, exc.text)
            return exc.reply
        return "250 2.1.0 Ok"

    def sender(self, address: str) -> User:
        """The user whose address sent the mail; fax by e-mail must be on, and the T.37 settings' allowed_senders,
        when set, must name the sender too."""
        with self.box.work(write=False) as look:
            t37 = read_setting(look.session, T37, self.box.setting_defaults.get(T37))
            user = users.user_by_email(look.session, address)
            if user is not None:
                look.session.expunge(user)  # (a read unit ends with a rollback, which expires what it holds)
        if not t37["enabled"]:
            raise Refused(550, "5.7.1 fax by e-mail is turned off on this box (T.37 settings: enabled is false)")
        if user is None:
            who = address or "the null sender <>"
            raise Refused(550, f"5.7.1 {who} is not the e-mail address of a user of this box")
        if not sender_allowed(address, t37["allowed_senders"]):
            raise Refused(550, f"5.7.1 {address} is not among the T.37 settings' allowed senders")
        return user

    # -- RCPT TO --------------------------------------------------------------------------------------------------
    def recipient_reply(self, sender: str, address: str, taken: int) -> tuple[str, bool]:
        """The answer to RCPT TO (``taken``: the addresses accepted so far), and whether the address is taken."""
        try:
            if taken >= self.max_recipients:
                raise Refused(452, f"4.5.3 too many recipients: at most {self.max_recipients} fax addresses a mail")
            if not is_fax_address(address):
                raise Refused(550, f"5.1.1 <{address}>: not a fax address (FAX=number[/OPTION=value...]@host)")
            self.check_address(address)
        except Refused as exc:
            self.journal.refused(address, sender, f"RCPT TO:<{address}>", exc.reply, exc.text)
            return exc.reply, False
        return "250 2.1.5 Ok", True

    def check_address(self, address: str) -> FaxAddress:
        """A fax address whose options are ones the box takes (Refused otherwise)."""
        try:
            parsed = parse_fax_address(address)
        except AddressError as exc:
            raise Refused(553, f"5.1.3 {exc}") from None
        if parsed.cover_name is not None:
            parsed.cover_name = self._cover_name(parsed.cover_name)
        if parsed.ignored and self.box.settings.strict:  # what the box would ignore is refused under --strict
            raise Refused(553, f"5.1.3 unknown option {parsed.ignored[0]} (--strict)")
        return parsed

    def _cover_name(self, name: str) -> str:
        names = set(self.box.cover_page_names())
        for candidate in (name, f"{name}.pdf"):
            if candidate in names:
                return candidate
        raise Refused(553, f"5.1.3 COVER-PAGE-NAME={name}: no cover page of that name on this box")

    # -- DATA -----------------------------------------------------------------------------------------------------
    def receive(self, envelope_sender: str, recipients: list[str], content: bytes) -> str:
        """The SMTP answer to a whole mail (DATA); every address gets its journal entry, whatever happens."""
        started = time.perf_counter()
        letter: Letter | None = None
        user: User | None = None
        parsed: dict[str, FaxAddress] = {}
        keys: dict[str, str] = {}
        try:
            try:
                letter = read_letter(content)
            except Unreadable as exc:
                raise Refused(554, f"5.6.0 {exc}") from None
            user = self.sender(envelope_sender)  # (again: the user or the T.37 settings may have changed since)
            self._check_from(letter, user, envelope_sender)
            parsed = {address: self.check_address(address) for address in recipients}
            if letter.warnings and self.box.settings.strict:
                raise Refused(554, f"5.6.0 {letter.warnings[0]} (--strict)")
            keys = Faxes(self.box).schedule(user, letter, list(parsed.values()))
            reply, error = f"250 2.0.0 Ok: {_scheduled(list(keys.values()))}", None
        except Refused as exc:
            reply, error = exc.reply, exc.text
        except Exception as exc:  # not the mail's fault: it may be taken if sent again
            log.exception("fax by e-mail failed")
            reply, error = "451 4.3.0 internal error: the mail was not taken, try again later", repr(exc)
        self.journal.received(recipients, envelope_sender, content, letter, user, parsed, keys, reply, error, started)
        return reply

    def _check_from(self, letter: Letter, user: User, envelope_sender: str) -> None:
        """A From: header names the envelope's sender, or another address of the same user: never someone else."""
        with self.box.work(write=False) as look:
            for address in letter.senders:
                if address.lower() == envelope_sender.lower():
                    continue
                other = users.user_by_email(look.session, address)
                if other is None or other.id != user.id:
                    raise Refused(550, f"5.7.1 From: {address} is not the sender of the envelope ({envelope_sender})")


def _scheduled(keys: list[str]) -> str:
    """What a reply says of the faxes made (one line, however many: RFC 5321 keeps a reply line within 512 octets);
    the journal names each address's."""
    if len(keys) == 1:
        return f"fax {keys[0]} scheduled"
    return f"{len(keys)} faxes scheduled ({keys[0]} to {keys[-1]})"  # (made in one transaction: numbered in a row)


def sender_allowed(address: str, allowed: str) -> bool:
    """``allowed``: addresses and domains (``example.com`` or ``@example.com``), separated by commas, semicolons or
    spaces; empty: every user may send."""
    rules = [rule.strip().lower() for rule in allowed.replace(";", ",").replace(" ", ",").split(",") if rule.strip()]
    if not rules:
        return True
    address = address.lower()
    domain = address.rpartition("@")[2]
    return any(address == rule or domain == rule.lstrip("@") for rule in rules)
