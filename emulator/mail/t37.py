"""Fax addresses of fax by e-mail (T.37, RFC 2304 and the FaxFinder's own options), as the admin guides write
them: ``[/]FAX=number[/T33S=digits][/OPTION=value…][/]@host``.

The guides' grammar is not kept by the guides' own examples, so the reading is liberal: the ``+`` of a global
number is optional, a boolean is ``true``/``false`` or ``1``/``0`` (any case), option names are read in any case, and
a value may hold a ``/`` (an ATTN such as ``Smith/Sales``) when what follows it is not ``NAME=``. An option the box
does not know is ignored (the guide: "they will not trigger the event"), and said so in the journal."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

RECEIPTS = ("always", "never", "failure", "success")
GLOBAL_CHARS = frozenset("0123456789-.")
LOCAL_CHARS = frozenset("acs0123456789*#!$^&-.() ")
# The guide's substitutions before the number is scheduled: dialling modifiers, and separators dropped.
SUBSTITUTIONS = str.maketrans({"a": "@", "c": ",", "s": ";", "-": None, ".": None, "(": None, ")": None, " ": None})
_OPTION = re.compile(r"([A-Za-z][A-Za-z0-9-]*)=(.*)", re.S)
MAX_TEXT = 255


class AddressError(ValueError):
    """What is wrong with a fax address (the SMTP answer says it)."""


@dataclass
class FaxAddress:
    address: str  # as given
    fax_number: str  # as it will be dialled (after the substitutions)
    subaddress: str = ""
    cover_enabled: bool | None = None
    cover_name: str | None = None
    attn: str = ""
    org: str = ""
    priority: int | None = None
    inline_comments: bool = True
    receipt: str | None = None
    ignored: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """What the journal shows of it."""
        return {
            "fax_number": self.fax_number,
            "T33S": self.subaddress or None,
            "COVER-PAGE-ENABLED": self.cover_enabled,
            "COVER-PAGE-NAME": self.cover_name,
            "ATTN": self.attn or None,
            "ORG": self.org or None,
            "FAX-PRIORITY": self.priority,
            "INLINE-COMMENTS": self.inline_comments,
            "RECEIPT": self.receipt,
        }


def local_part(address: str) -> str:
    """The mailbox of ``<"FAX=…"@host>`` (angle brackets and quotes off, escapes undone)."""
    text = address.strip().removeprefix("<").removesuffix(">").strip()
    local, at, _domain = text.rpartition("@")
    if not at:
        local = text
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        local = re.sub(r"\\(.)", r"\1", local[1:-1])
    return local


def is_fax_address(address: str) -> bool:
    return local_part(address).lstrip("/").upper().startswith("FAX=")


def parse_fax_address(address: str) -> FaxAddress:
    local = local_part(address).strip("/")
    options: list[tuple[str, str]] = []
    for segment in local.split("/"):
        match = _OPTION.fullmatch(segment)
        if match is not None:
            options.append((match.group(1).upper(), match.group(2)))
        elif options:  # a "/" inside a value
            name, value = options[-1]
            options[-1] = (name, f"{value}/{segment}")
        else:
            raise AddressError("not a fax address: expected FAX=number[/OPTION=value…]@host")
    numbers = [value for name, value in options if name == "FAX"]
    if len(numbers) != 1:
        raise AddressError("a fax address names one FAX=number" if numbers else "no FAX=number in the address")
    parsed = FaxAddress(address=address, fax_number=fax_number(numbers[0]))
    for name, value in options:
        if name != "FAX":
            _apply(parsed, name, value)
    return parsed


def fax_number(text: str) -> str:
    """The number to dial: a global number (``+`` digits, ``-`` and ``.``) or a local one (digits, dialling
    characters and separators), after the guide's substitutions."""
    number = text.strip()
    body = number.removeprefix("+")
    allowed = GLOBAL_CHARS if number.startswith("+") else LOCAL_CHARS
    bad = sorted({c for c in body if c not in allowed})
    if bad:
        raise AddressError(f"FAX={text}: the number may not hold {''.join(bad)!r}")
    dialled = body.translate(SUBSTITUTIONS)
    if not any(c.isdigit() for c in dialled):
        raise AddressError(f"FAX={text}: no digits to dial")
    if len(dialled) > MAX_TEXT:
        raise AddressError(f"FAX={text}: longer than {MAX_TEXT} characters")
    return dialled


def _flag(name: str, value: str) -> bool:
    text = value.strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise AddressError(f"{name}={value}: must be true or false (or 1 or 0)")


def _text(name: str, value: str) -> str:
    if len(value) > MAX_TEXT:
        raise AddressError(f"{name}: longer than {MAX_TEXT} characters")
    return value.strip()


def _apply(parsed: FaxAddress, name: str, value: str) -> None:
    if name == "T33S":
        if not (value.isascii() and value.isdigit() and len(value) <= 20):
            raise AddressError(f"T33S={value}: a sub-address is 1 to 20 digits")
        parsed.subaddress = value
    elif name == "COVER-PAGE-ENABLED":
        parsed.cover_enabled = _flag(name, value)
    elif name == "COVER-PAGE-NAME":
        if not value.strip():
            raise AddressError("COVER-PAGE-NAME: empty")
        parsed.cover_name = _text(name, value)
    elif name == "ATTN":
        parsed.attn = _text(name, value)
    elif name == "ORG":
        parsed.org = _text(name, value)
    elif name == "FAX-PRIORITY":
        if not (value.strip().isascii() and value.strip().isdigit() and 0 <= int(value) <= 5):
            raise AddressError(f"FAX-PRIORITY={value}: from 0 (first) to 5 (last)")
        parsed.priority = int(value)
    elif name == "INLINE-COMMENTS":
        parsed.inline_comments = _flag(name, value)
    elif name == "RECEIPT":
        if value.strip().lower() not in RECEIPTS:
            raise AddressError(f"RECEIPT={value}: one of {', '.join(RECEIPTS)}")
        parsed.receipt = value.strip().lower()
    else:
        parsed.ignored.append(f"{name}={value}")
