"""Reading request elements into plain values, with the device's wording for what is wrong.

A field spec says how one child element is read. ``read_fields`` returns only the fields the element carries, so a
``PUT`` changes just those. An empty number, boolean or choice means "not given" (13-client-contract R7); an empty
text means the empty string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams

from emulator.wire import FFWSError, XNode
from emulator.wire.errors import invalid
from emulator.wire.tolerance import tolerated

MAX_TEXT = 255
# IDs in paths and URLs: ASCII digits only (str.isdigit() also accepts "²" and "١"); anything else names no record,
# and so does a number beyond the largest ID a table holds (PostgreSQL's INTEGER: a bigger one could not be compared).
_ID = re.compile(r"[0-9]{1,18}")
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Text:
    max_length: int = MAX_TEXT
    required: bool = False  # on create: must be present and not blank

    def read(self, name: str, raw: str) -> str:
        if len(raw) > self.max_length:
            raise invalid(name, f"longer than {self.max_length} characters")
        return raw


@dataclass(frozen=True)
class Int:
    minimum: int
    maximum: int

    def read(self, name: str, raw: str) -> int | None:
        text = raw.strip()
        if not text:
            return None
        try:
            value = int(text, 10)
        except ValueError:
            raise invalid(name, "not a number") from None
        if not self.minimum <= value <= self.maximum:
            raise invalid(name, f"out of range ({self.minimum}-{self.maximum})")
        return value


@dataclass(frozen=True)
class Bool:
    def read(self, name: str, raw: str) -> bool | None:
        text = raw.strip().lower()
        if not text:
            return None
        if text in ("true", "1", "yes"):
            value = True
        elif text in ("false", "0", "no"):
            value = False
        else:
            raise invalid(name, "must be true or false")
        if raw.strip() not in ("true", "false"):
            tolerated(f"{name} {raw.strip()!r} is read as {str(value).lower()}: the guide writes true or false")
        return value


@dataclass(frozen=True)
class Choice:
    values: tuple[str, ...]
    attested: tuple[str, ...] | None = None  # the values a source shows, when the box takes more (None: all are)

    def read(self, name: str, raw: str) -> str | None:
        text = raw.strip().lower()
        if not text:
            return None
        if text not in self.values:
            raise invalid(name, "must be one of " + ", ".join(self.values))
        if raw.strip() != text:
            tolerated(f"{name} {raw.strip()!r} is read as {text!r}")
        if self.attested is not None and text not in self.attested:
            tolerated(f"{name} {text!r} is not an attested value ({', '.join(self.attested)})")
        return text


Field = Text | Int | Bool | Choice


def read_fields(node: XNode, spec: dict[str, Field]) -> dict[str, Any]:
    """The fields of ``spec`` present in ``node``, converted; fields given as empty non-text are left out."""
    values: dict[str, Any] = {}
    for name, field in spec.items():
        raw = node.value(name)
        if raw is None:
            continue
        value = field.read(name, raw)
        if value is not None:
            values[name] = value
    return values


def require(values: dict[str, Any], spec: dict[str, Field]) -> None:
    """On create: every required text field must be present and not blank."""
    for name, field in spec.items():
        if isinstance(field, Text) and field.required and not str(values.get(name, "")).strip():
            raise invalid(name, "empty")


# Plain ASCII decimals only (int() would also take "1_0" and "١"). Larger counts mean "all": they are capped so the
# database never sees a number it cannot store.
_COUNT = re.compile(r"-?[0-9]+")
MAX_COUNT = 2**31 - 1


def count_param(params: QueryParams, name: str, default: int | None) -> int | None:
    """A count in the query string (limit, offset, complete_limit …); ``default`` when absent or empty."""
    text = (params.get(name) or "").strip()
    if not text:
        return default
    if not _COUNT.fullmatch(text):
        raise invalid(name, "not a number")
    if text.startswith("-"):
        raise invalid(name, "must not be negative")
    return min(int(text), MAX_COUNT)


def flag_param(params: QueryParams, name: str) -> bool:
    """A true/false switch in the query string (all_users, include_modem_info); false when absent."""
    raw = (params.get(name) or "false").strip()
    text = raw.lower()
    if text not in ("true", "false"):
        raise invalid(name, "must be true or false")
    if raw != text:
        tolerated(f"{name} {raw!r} is read as {text}")
    return text == "true"


def line_number(raw: str, count: int, word: str) -> int:
    """A modem or channel number of the box (1..count); 400 naming ``<word>_number`` otherwise."""
    number = parse_id(raw)
    if number is None or not 1 <= number <= count:
        raise invalid(f"{word}_number", f"out of range (1-{count})")
    return number


def parse_id(raw: str) -> int | None:
    """A record ID as the device writes it in URLs (``6``, ``0042``); None for anything else."""
    return int(raw) if _ID.fullmatch(raw) and int(raw) <= MAX_ID else None


def id_or_404(raw: str, message: str) -> int:
    """A record ID from a path; 404 with ``message`` when it is not one (it can name nothing)."""
    key = parse_id(raw)
    if key is None:
        raise not_found(message)
    return key


def not_found(message: str) -> FFWSError:
    return FFWSError(404, message)
