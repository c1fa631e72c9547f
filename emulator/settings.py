"""Every setting of the emulator, once.

Each field is a command-line flag (``--lines``) and an environment variable (``FFEMU_LINES``). An explicit flag wins
over its environment twin, which wins over the default. This is the only module that reads the environment.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from emulator.device.firmware import DEFAULT as DEFAULT_FIRMWARE
from emulator.device.firmware import FirmwareName
from emulator.documents.fonts import configured_font, installed_font
from emulator.documents.limits import Limits
from emulator.mail.target import SmtpTarget, checked_smtp_url, parse_smtp_url

MODELS = ("FF240-IP", "FF240", "FF440", "FF840")
Model = Literal["FF240-IP", "FF240", "FF440", "FF840"]
DEFAULT_LINES = {"FF240-IP": 2, "FF240": 2, "FF440": 4, "FF840": 8}
MAX_LINES = 24


class Settings(BaseSettings):
    # hide_input_in_errors: a refused value is never repeated in an error's text (--smtp-url may hold a password).
    model_config = SettingsConfigDict(
        env_prefix="FFEMU_", extra="forbid", validate_default=True, hide_input_in_errors=True
    )

    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8080, ge=0, le=65535, description="HTTP port (0 picks a free port).")
    model: Model = Field("FF240-IP", description="Emulated model: FF240-IP (SIP channels), FF240, FF440, FF840.")
    firmware: FirmwareName = Field(
        DEFAULT_FIRMWARE,
        description="Firmware profile whose answers to give: 3.x (today's), guide-1.1 (the Developer Guide's "
        "examples) or ff240-r1-2025 (a real FF240.R1's log); see Firmware profiles.",
    )
    public_url: str | None = Field(
        None,
        description="Base of the links in answers (fax_entry_url, preview, contact_url…), e.g. "
        "https://fax.example.com:8443 behind a proxy or port mapping; overrides --links.",
    )
    links: Literal["followable", "device"] | None = Field(
        None,
        description="followable: links a client can open (https://HOST:TLSPORT when HTTPS is on, else "
        "http://HOST:PORT); device: https://HOST with no port, as the device writes them; none: the firmware "
        "profile's (followable for 3.x, device for guide-1.1 and ff240-r1-2025).",
    )
    lines: int | None = Field(
        None,
        ge=1,
        le=MAX_LINES,
        description="Modems or SIP channels (default by model: FF240 2, FF440 4, FF840 8, FF240-IP 2; at most 24).",
    )
    data_dir: Path = Field(Path("data"), description="Directory for the SQLite database and stored documents.")
    database_url: str | None = Field(None, description="Any SQLAlchemy URL; overrides the database in the data dir.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Worker processes serving the box (PostgreSQL only: SQLite is one process's). Several serve "
        "processes on one PostgreSQL --database-url and data dir are one box too.",
    )
    time_scale: float = Field(
        20.0, gt=0, le=100000, description="Emulated seconds per wall-clock second (1 = real pacing)."
    )
    manual_clock: bool = Field(
        False,
        description="Time moves only when told (POST /_emulator/clock/advance); answers are reproducible.",
    )
    start_time: datetime = Field(
        datetime(2026, 1, 1), description="Where the manual clock starts (YYYY-MM-DDTHH:MM:SS)."
    )
    timezone: str = Field("UTC", description="Time zone of the emulated box (device-local timestamps).")
    seed: int = Field(0, description="Seed of the emulator's one random source (fault probabilities).")
    control_token: str | None = Field(
        None,
        description="If set, every /_emulator call needs the header X-Emulator-Token with this value (an empty "
        "token is refused at start-up).",
    )
    allowed_hosts: str = Field(
        "",
        description="Host names a browser may open the web pages and the control plane by (comma separated; "
        ".example.com for a domain; * for any), besides localhost, IP addresses and the names in --host and "
        "--public-url. A browser's request by another name is refused (403): a guard against DNS rebinding.",
    )
    control_max_body: int = Field(
        37_748_736,
        ge=1,
        le=2**32,
        description="Largest /_emulator request body in bytes (the device's own 36 MiB, so an inbound fax may be as "
        "large as an outbound one); 413 beyond, while it is read.",
    )
    snapshot_max_body: int = Field(
        268_435_456,
        ge=1,
        le=2**36,
        description="Largest body of POST /_emulator/state/import in bytes (256 MiB: a snapshot holds every document, "
        "base64); 413 beyond, while it is read.",
    )
    disk_quota: int = Field(
        4 * 2**30,
        ge=0,
        le=2**60,
        description="Bytes the stored documents may take in the data dir (attachments, their converted PDFs, "
        "received faxes, cached previews; 4 GiB, a box's storage); 0: no quota. Beyond, POST /ofax answers 400 "
        "'scheduling failed: not enough storage', a conversion ends its fax dead, and a preview first evicts "
        "the least recently served ones (503 if that cannot make room).",
    )
    journal_size: int = Field(500, ge=0, le=100000, description="How many /ffws/v1 exchanges the journal keeps.")
    strict: bool = Field(
        False,
        description="Answer 400 to a request the box would tolerate but a careful client would not send (unknown "
        "element or query parameter, element in the wrong parent, wrong content type, value beyond the attested "
        "ones), naming the first problem; without it the request is served and each problem is a warning on its "
        "journal entry.",
    )
    external_attachments: bool = Field(
        True, description="Fetch 'external' fax attachments from their URL (off: such faxes are refused)."
    )
    external_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Deadline in seconds for fetching one external attachment, connect to last byte.",
    )
    external_allow: str = Field(
        "",
        description="Hosts external attachments may come from: comma-separated names (.example.com for a domain),"
        " IP addresses or networks (10.0.0.0/8); empty: any host.",
    )
    external_deny: str = Field(
        "", description="Hosts external attachments never come from, in the same form (wins over the allow-list)."
    )
    max_attachment_pages: int = Field(
        500,
        ge=1,
        le=1_000_000,
        description="Pages one attachment may make (a text file's form feeds and lines, a PDF's pages, a TIFF's "
        "frames); beyond, its fax is dead ('Conversion failed: attachment NAME: more than N pages').",
    )
    max_fax_pages: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="Pages one fax may have, its cover page included (also the most a received fax's document may "
        "have); beyond, the fax is dead.",
    )
    max_page_pixels: int = Field(
        50_000_000,
        ge=1,
        le=2**40,
        description="Pixels of one page: a PNG or JPEG image, or one TIFF frame (a 600 dpi Letter scan is 33.7 "
        "million); checked from the headers, before any pixel is decoded.",
    )
    max_image_pixels: int = Field(
        1_000_000_000,
        ge=1,
        le=2**50,
        description="Pixels of one image file, all its frames together.",
    )
    max_tiff_frames: int = Field(
        500, ge=1, le=1_000_000, description="Frames of one TIFF, counted without reading past the first one over."
    )
    conversion_cpu_seconds: float = Field(
        60.0,
        gt=0,
        le=86_400,
        description="CPU seconds one conversion job may take (an attachment, a preview, a received fax), in its "
        "worker process; the kernel stops it beyond, and a job still running after max(4 x this, this + 30) "
        "wall-clock seconds is killed.",
    )
    conversion_memory_mib: int = Field(
        2048,
        ge=64,
        le=1_048_576,
        description="Address space (MiB) one conversion job may add to its worker process (RLIMIT_AS); beyond, "
        "it fails as 'ran out of memory'.",
    )
    cover_font: Path | None = Field(
        None,
        description="TrueType font (.ttf, or .ttc: its first face) the values on cover pages are drawn in; none: "
        "the first installed of WenQuanYi Zen Hei and Micro Hei (Debian packages: Latin, Greek, Cyrillic, CJK), "
        "else Helvetica (Latin-1 only; a warning at start). A font that cannot be loaded is refused at start.",
    )
    tls_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Also serve HTTPS on this port (self-signed unless a cert is given).",
    )
    certfile: Path | None = Field(None, description="TLS certificate (PEM) for --tls-port.")
    keyfile: Path | None = Field(None, description="TLS private key (PEM) for --tls-port.")
    header_timeout: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="Seconds a client has to send a whole request head (from connecting, or from the first byte of "
        "its next request on a kept-alive connection); a TLS handshake has as long again. Then it is closed.",
    )
    body_timeout: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds a request body has to arrive, plus one for every KiB received (time the emulator "
        "is not reading does not count); a slower body is cut off.",
    )
    keep_alive_timeout: int = Field(
        5, ge=1, le=3600, description="Seconds an idle kept-alive connection stays open (uvicorn's keep-alive)."
    )
    max_connections: int = Field(
        1000,
        ge=1,
        le=100000,
        description="Open connections at most, HTTP and HTTPS together; past it a new one replaces the "
        "connection idle longest (no request in progress), or gets 503 if every one has a request in progress.",
    )
    smtp_url: Annotated[SecretStr | None, AfterValidator(checked_smtp_url)] = Field(
        None,
        description="Also deliver every mail of the mail queue (receipts, received faxes) to this SMTP server: "
        "smtp://[USER[:PASSWORD]@]HOST[:PORT] (port 25; STARTTLS when offered, ?starttls=true to require it, "
        "?starttls=false never) or smtps://… (TLS from the start, port 465), retried with back-off. The password "
        "never appears in a log, an answer or the journal. None: mails stay in the queue (GET /_emulator/outbox).",
    )
    smtp_listen_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Accept faxes by e-mail (T.37: FAX=number[/OPTION=value…]@host, from a user's e-mail address) "
        "with an SMTP server on this port of --host (0 picks a free port); none: no listener.",
    )
    fax_output_format: Literal["pdf", "tiff"] = Field(
        "pdf",
        description="Fax Output Format: received faxes are mailed as PDF or as TIFF (TIFF-F: Group 4, 204x196 "
        "dpi). What a fresh box has; PUT /_emulator/mail changes it at run time.",
    )
    email_size_limit: int = Field(
        10240,
        ge=0,
        le=1_048_576,
        description="Email Size Limit in KB: a received fax whose mail would be larger is split by pages into "
        "several mails, each within it, headers and base64 included (a page larger than the limit goes alone); 0: no "
        "limit. What a fresh box has; PUT /_emulator/mail changes it at run time.",
    )
    email_fax_details: bool = Field(
        True,
        description="Email Fax Details: a received fax's mail lists its details (sender, line, pages, times, "
        "result) in its text. What a fresh box has; PUT /_emulator/mail changes it at run time.",
    )
    outbox_size: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="Mails the mail queue keeps: beyond, the oldest delivered, held or failed ones are forgotten "
        "(with their messages); a mail still to be delivered never is.",
    )
    argon2_time_cost: int = Field(2, ge=1, le=10, description="Argon2 time cost for stored passwords.")
    argon2_memory_kib: int = Field(19456, ge=8, le=1048576, description="Argon2 memory cost (KiB).")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        "info",
        description="Server log level; info logs one line per /ffws/v1 request and per step of a fax's life.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines as readable text, or as one JSON object a line (time, level, logger, message and "
        "the step's fields) for a log collector.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as UTC or America/Chicago)") from None
        return value

    @field_validator("cover_font")
    @classmethod
    def _cover_font(cls, value: Path | None) -> Path | None:
        return configured_font(value)  # (reportlab is loaded only to check a given font)

    @field_validator("public_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parsed = urlsplit(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.query or parsed.fragment:
            raise ValueError(f"expected http(s)://HOST[:PORT][/PATH], got {value!r}")
        try:
            parsed.port  # noqa: B018 - raises for a port out of range
        except ValueError:
            raise ValueError(f"bad port in {value!r}") from None
        return value.strip().rstrip("/")

    @field_validator("control_token")
    @classmethod
    def _usable_token(cls, value: str | None) -> str | None:
        # An empty token used to mean "no token" silently: whoever set it wanted the control plane closed.
        if value is not None and not value.strip():
            raise PydanticCustomError(
                "empty_token",
                "an empty control token is refused: give a token, or leave it unset for an open control plane",
            )
        if value is not None and value != value.strip():
            raise PydanticCustomError(
                "token_whitespace", "the control token must not begin or end with whitespace (a header cannot carry it)"
            )
        return value

    @model_validator(mode="after")
    def _defaults_by_model(self) -> Settings:
        if self.lines is None:
            self.lines = DEFAULT_LINES[self.model]
        if (self.certfile is None) != (self.keyfile is None):
            raise ValueError("--certfile and --keyfile go together")
        if self.workers > 1 and not self.effective_database_url.startswith("postgresql"):
            raise ValueError(
                f"--workers {self.workers} needs a PostgreSQL --database-url: a SQLite database is one process's"
            )
        return self

    @property
    def line_count(self) -> int:
        assert self.lines is not None
        return self.lines

    @property
    def is_ip(self) -> bool:
        return self.model == "FF240-IP"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'faxfinder.sqlite3').resolve()}"

    @property
    def smtp_target(self) -> SmtpTarget | None:
        return parse_smtp_url(self.smtp_url.get_secret_value()) if self.smtp_url is not None else None

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"

    @property
    def conversion_limits(self) -> Limits:
        return Limits(
            max_pages=self.max_attachment_pages,
            fax_pages=self.max_fax_pages,
            page_pixels=self.max_page_pixels,
            image_pixels=self.max_image_pixels,
            tiff_frames=self.max_tiff_frames,
            cpu_seconds=self.conversion_cpu_seconds,
            memory_mib=self.conversion_memory_mib,
            cover_font=self.cover_font or installed_font(),  # the workers are told which font, not left to look
        )


class ClientSettings(BaseSettings):
    """Settings of the commands that talk to a running emulator (reset, advance, journal, faults, inbound…)."""

    model_config = SettingsConfigDict(env_prefix="FFEMU_", extra="ignore")

    url: str = Field("http://127.0.0.1:8080", description="Base URL of the running emulator.")
    control_token: str | None = Field(None, description="Sent as X-Emulator-Token when set.")
