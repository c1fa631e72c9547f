"""Where mail is delivered (``--smtp-url``): the URL read once, the password kept out of every text that shows it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from pydantic import SecretStr
from pydantic_core import PydanticCustomError

SCHEMES = {"smtp": 25, "smtps": 465}
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
HOST = re.compile(r"[A-Za-z0-9._-]+|[0-9A-Fa-f:.]+")  # a name, an IPv4 address, or an IPv6 one (its brackets off)


class BadSmtpUrl(ValueError):
    """Says what is wrong without repeating the URL (it may hold a password)."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool  # smtps: TLS from the first byte
    starttls: bool | None  # None: upgrade when the server offers it (aiosmtplib's own choice)
    username: str = ""
    password: str = field(default="", repr=False)

    @property
    def shown(self) -> str:
        """The URL as logs and answers show it: the user, never the password."""
        user = f"{self.username}@" if self.username else ""
        query = "" if self.starttls is None else f"?starttls={str(self.starttls).lower()}"
        return f"{'smtps' if self.tls else 'smtp'}://{user}{self.host}:{self.port}{query}"


def _split(text: str) -> tuple[SplitResult, str, int]:
    """The URL's parts, its host and its port. urllib's own errors repeat what they read, so they are replaced."""
    try:
        parts = urlsplit(text.strip())
        host, given_port = parts.hostname, parts.port
    except ValueError as exc:
        if "port" in str(exc).lower():
            raise BadSmtpUrl("the port must be a number from 1 to 65535") from None
        raise BadSmtpUrl("not a URL (unbalanced brackets?): expected smtp://[USER[:PASSWORD]@]HOST[:PORT]") from None
    if parts.scheme not in SCHEMES:
        raise BadSmtpUrl("expected smtp://[USER[:PASSWORD]@]HOST[:PORT] or smtps://…")
    if not host:
        raise BadSmtpUrl("a host is required, as in smtp://mail.example.com:25")
    if not HOST.fullmatch(host):
        raise BadSmtpUrl("the host may hold letters, digits, '.', '-' and '_' only (or be an IP address)")
    return parts, host, given_port or SCHEMES[parts.scheme]


def parse_smtp_url(text: str) -> SmtpTarget:
    parts, host, port = _split(text)
    if parts.path not in ("", "/") or parts.fragment:
        raise BadSmtpUrl("nothing may follow the host and port but ?starttls=true|false")
    starttls = None
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key != "starttls":
            raise BadSmtpUrl(f"unknown option {key!r} (only starttls=true|false)")
        if value.lower() not in TRUE + FALSE:
            raise BadSmtpUrl("starttls must be true or false")
        starttls = value.lower() in TRUE
    if parts.scheme == "smtps" and starttls:
        raise BadSmtpUrl("smtps:// is TLS from the start: starttls=true does not apply")
    return SmtpTarget(
        host=host,
        port=port,
        tls=parts.scheme == "smtps",
        starttls=False if parts.scheme == "smtps" else starttls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def checked_smtp_url(value: SecretStr | None) -> SecretStr | None:
    """The setting --smtp-url, refused when it is not one (in words that never repeat it: it may hold a password)."""
    if value is not None:
        try:
            parse_smtp_url(value.get_secret_value())
        except BadSmtpUrl as exc:
            raise PydanticCustomError("smtp_url", str(exc)) from None
    return value
