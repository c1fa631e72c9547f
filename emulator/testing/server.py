"""An emulator in a background thread, and the handle tests use to drive it (see plugin.py)."""

from __future__ import annotations

import asyncio
import re
import smtplib
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ADMIN = ("admin", "admin")
FINAL = ("sent", "failed", "dead", "aborted")
_STATE = re.compile(r"<state>([^<]*)</state>")
_MESSAGE = re.compile(r"<schedule_message>([^<]*)</schedule_message>")


def _isolated(settings_class: type) -> type:
    """The settings class reading only the values given: FFEMU_* variables of the surrounding environment (set for
    a real emulator, say) must not redirect the test box (its model, start time, journal size, database…)."""

    class TestBoxSettings(settings_class):
        @classmethod
        def settings_customise_sources(cls, settings_cls: type, init_settings: Any, **_others: Any) -> tuple[Any, ...]:
            return (init_settings,)

    return TestBoxSettings


class EmulatorServer:
    """uvicorn serving the emulator on 127.0.0.1 (a free port) in a daemon thread."""

    def __init__(self, data_dir: Path, **settings: Any) -> None:
        self.data_dir = data_dir
        defaults = {
            "manual_clock": True,
            "argon2_time_cost": 1,
            "argon2_memory_kib": 8,
            "control_token": None,
            "smtp_listen_port": 0,  # fax by e-mail on a free port: send_mail
        }
        self.settings = {**defaults, **settings}
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.app: Any = None
        self.base_url = ""
        self.smtp_port: int | None = None

    def _settings(self) -> Any:
        from emulator.settings import Settings

        return _isolated(Settings)(data_dir=self.data_dir, host="127.0.0.1", port=0, **self.settings)

    def prepare(self) -> None:
        """Migrate and seed the data dir, and stop: a template the data dirs of other boxes are copied from."""
        from emulator.box import Box

        box = Box(self._settings())
        box.start()
        box.stop()

    def start(self) -> None:
        import uvicorn

        from emulator.app import create_app
        from emulator.server import bind, connection_options

        settings = self._settings()
        app = self.app = create_app(settings)
        app.state.box.start()
        sock = bind("127.0.0.1", 0)
        app.state.box.listening_ports = {sock.getsockname()[1]}  # never fetched as an external attachment
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        # The same connection limits as `serve` (head and body deadlines, keep-alive, --max-connections; with no TLS
        # listener, no handshake deadline), so that a test of a client with slow or many connections sees what the
        # real server does.
        config = uvicorn.Config(app, lifespan="on", **{**connection_options(settings), "log_level": "warning"})
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._server.serve(sockets=[sock])), name="faxfinder-emulator", daemon=True
        )
        self._thread.start()
        ready = threading.Event()
        for _ in range(500):
            if self._server.started:
                ready.set()
                break
            ready.wait(0.01)
        if not ready.is_set():
            raise RuntimeError("the FaxFinder emulator did not start")
        self.smtp_port = app.state.box.mail.listening_port

    def stop(self) -> None:
        if self.app is not None:
            self.app.state.box.live.close()  # open event streams end (uvicorn waits for every response to end)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                raise RuntimeError("the FaxFinder emulator did not stop within 10 s")

    def handle(self) -> EmulatorHandle:
        return EmulatorHandle(self.base_url, self.settings["control_token"], self.smtp_port)


class EmulatorHandle:
    """What a test needs: where the box is, how to log in, and how to drive it."""

    def __init__(self, base_url: str, control_token: str | None = None, smtp_port: int | None = None) -> None:
        self.base_url = base_url
        self.smtp_port = smtp_port  # fax by e-mail (None: the box does not listen)
        self.url = base_url + "/ffws/v1"
        self.auth = ADMIN
        headers = {"X-Emulator-Token": control_token} if control_token else {}
        self._http = httpx.Client(base_url=base_url, timeout=30, headers=headers)

    def close(self) -> None:
        self._http.close()

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, "/_emulator" + path, **kwargs)
        if response.is_error:
            raise AssertionError(f"{method} /_emulator{path}: {response.status_code} {response.text}")
        return response.json()

    def reset(self) -> None:
        self._control("POST", "/reset")

    def clock(self) -> dict[str, Any]:
        return self._control("GET", "/clock")

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move emulated time forward; every transition due on the way runs before this returns."""
        return self._control("POST", "/clock/advance", json={"seconds": seconds})

    def state_of(self, entry_url: str) -> str:
        """The state of a fax entry, given its fax_entry_url (https://any-host/ffws/v1/ofax/KEY/ENTRY)."""
        return self._entry(entry_url)[0]

    def _entry(self, entry_url: str) -> tuple[str, str]:
        response = self._http.get(urlsplit(entry_url).path, auth=self.auth)
        state, message = _STATE.search(response.text), _MESSAGE.search(response.text)
        if response.status_code != 200 or state is None:
            raise AssertionError(f"GET {entry_url}: {response.status_code} {response.text}")
        return state.group(1), message.group(1) if message else ""

    def wait_for_state(
        self, entry_url: str, *states: str, step: float = 10, within: float = 86400, timeout: float = 30
    ) -> str:
        """Until the entry is in one of ``states`` (default: any final state), and its state: under the manual
        clock by advancing it ``step`` emulated seconds at a time (``within`` at most), under a scaled one by
        waiting. An entry that ends in another final state raises at once, naming it and its schedule_message; so
        does one still on its way after ``timeout`` wall seconds."""
        wanted = states or FINAL
        manual = self.clock()["manual"]
        started, waited = time.monotonic(), 0.0
        pause = threading.Event()
        while True:
            state, message = self._entry(entry_url)
            if state in wanted:
                return state
            expected = " or ".join(wanted)
            if state in FINAL:
                raise AssertionError(f"{entry_url} ended {state!r} ({message!r}), not {expected}")
            spent = time.monotonic() - started
            if waited >= within or spent >= timeout:
                raise AssertionError(
                    f"{entry_url} still {state!r} ({message!r}) after {waited:g} emulated and {spent:.1f} wall "
                    f"seconds; wanted {expected}"
                )
            if manual:
                self.advance(step)
                waited += step
            else:
                pause.wait(0.1)

    def inbound(self, **fields: Any) -> dict[str, Any]:
        """Simulate a received fax (remote_id, caller_id, extension, line, pages or document_base64, outcome)."""
        return self._control("POST", "/inbound", json=fields)

    def fault(self, **spec: Any) -> int:
        """Add a fault (kind="http": method, path, status, delay_ms, drop_connection…; kind="fax": fax_number,
        outcome; without kind, fax_number or outcome make a fax fault); returns its id."""
        return self._control("POST", "/faults", json=spec)["id"]

    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        """The recorded /ffws/v1 exchanges (oldest first), with their bodies as kept; filters: limit, method, path
        (glob), status. The control plane answers in pages with bodies cut: this follows every page and reads each
        cut entry whole."""
        query = {k: v for k, v in filters.items() if v is not None}
        wanted = query.pop("limit", None)
        entries: list[dict[str, Any]] = []
        while wanted is None or len(entries) < wanted:
            page_query = dict(query, **({"limit": wanted - len(entries)} if wanted is not None else {}))
            page = self._control("GET", "/journal", params=page_query)
            entries = page["entries"] + entries
            if "next_before" not in page:
                break
            query["before"] = page["next_before"]
        return [self._whole(entry) for entry in entries]

    def warnings(self, **filters: Any) -> list[dict[str, Any]]:
        """Every client mistake the box tolerated since the last reset, one item per exchange (oldest first):
        ``{"id", "method", "path", "status", "warnings": [...]}``. Filters as for ``journal``. With
        ``faxfinder_settings`` ``{"strict": True}`` these requests were answered 400 instead."""
        keys = ("id", "method", "path", "status", "warnings")
        return [{k: entry[k] for k in keys} for entry in self.journal(warned=True, **filters)]

    def _whole(self, entry: dict[str, Any]) -> dict[str, Any]:
        if entry.pop("request_body_cut", False) | entry.pop("response_body_cut", False):
            return self._control("GET", f"/journal/{entry['id']}")
        return entry

    # -- mail --------------------------------------------------------------------------------------------------
    def outbox(self, **filters: Any) -> list[dict[str, Any]]:
        """The mail queue (oldest first), every mail composed: headers, text, attachments, delivery state and tries;
        filters: state, kind (receipt, inbound)."""
        query = {k: v for k, v in filters.items() if v is not None}
        return self._control("GET", "/outbox", params=query)["mails"]

    def mail_message(self, mail_id: int) -> EmailMessage:
        """One mail as sent, parsed (``get_body()``, ``iter_attachments()``…)."""
        import email
        import email.policy

        response = self._http.get(f"/_emulator/outbox/{mail_id}.eml")
        if response.is_error:
            raise AssertionError(f"GET /_emulator/outbox/{mail_id}.eml: {response.status_code} {response.text}")
        return email.message_from_bytes(response.content, policy=email.policy.default)  # type: ignore[return-value]

    def clear_outbox(self) -> None:
        self._control("DELETE", "/outbox")

    def send_mail(
        self,
        to: str | list[str],
        *,
        sender: str,
        subject: str = "",
        text: str = "",
        attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
        message: EmailMessage | bytes | None = None,
        envelope_sender: str | None = None,
    ) -> MailReply:
        """Send a fax by e-mail to the box's listener (``to``: FAX=number[/OPTION=value…]@host, one or more):
        ``attachments`` are (file name, content, content type). ``message`` sends a whole mail of your own instead.
        ``sender`` is the mail's From: and, unless ``envelope_sender`` says otherwise (``""``: the null sender), its
        envelope's (MAIL FROM). Returns the box's SMTP answer; a refusal is an answer too, not an exception."""
        if self.smtp_port is None:
            raise AssertionError("this box does not accept mail: give it smtp_listen_port (faxfinder_settings)")
        recipients = [to] if isinstance(to, str) else list(to)
        letter = message if message is not None else _letter(sender, recipients, subject, text, attachments)
        data = _crlf(letter)
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as smtp:
            smtp.ehlo("client.test")
            code, answer = smtp.mail(sender if envelope_sender is None else envelope_sender)
            if code >= 400:
                return MailReply(code, answer.decode())
            reply = MailReply(0, "")
            for address in recipients:
                code, answer = smtp.rcpt(address)
                if code >= 400:
                    reply.refused[address] = (code, answer.decode())
            if len(reply.refused) == len(recipients):
                code, answer = next(iter(reply.refused.values()))
                return MailReply(code, answer, reply.refused)
            code, answer = smtp.data(data)
            return MailReply(code, answer.decode(), reply.refused)


@dataclass
class MailReply:
    """The box's SMTP answer to a mail: 250 when it was taken; ``refused``: addresses refused at RCPT."""

    code: int
    message: str
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)


def _crlf(letter: EmailMessage | bytes) -> bytes:
    """The mail's bytes with CRLF line ends, as SMTP carries them (smtplib sends bytes as they are)."""
    import email.policy

    if isinstance(letter, bytes):
        return re.sub(rb"\r?\n", b"\r\n", letter)
    return letter.as_bytes(policy=email.policy.SMTP)


def _letter(
    sender: str, recipients: list[str], subject: str, text: str, attachments: list[tuple[str, bytes, str]]
) -> EmailMessage:
    letter = EmailMessage()
    letter["From"] = sender
    letter["To"] = ", ".join(recipients)
    letter["Subject"] = subject
    letter.set_content(text)
    for name, content, content_type in attachments:
        maintype, _, subtype = content_type.partition("/")
        letter.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return letter
