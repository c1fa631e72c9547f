"""How this answer's firmware writes the wire's common parts: the timestamp and the error envelope.

A box runs one firmware profile (``emulator/device/firmware.py``); the app sets its dialect for each request it
serves, so every writer down the line (times, envelopes, errors raised anywhere) follows it without each resource
passing it along. Outside a request (the queue, receipts) the default applies: today's firmware.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    time_separator: str = "T"  # between date and time: "2008-08-01T08:43:29" or "2008-08-01 08:43:29"
    error_blank_line: bool = False  # an empty line before </response> in error bodies


DEFAULT = Dialect()
_current: ContextVar[Dialect] = ContextVar("dialect", default=DEFAULT)


def current() -> Dialect:
    return _current.get()


def use(dialect: Dialect) -> Token[Dialect]:
    """Set the dialect of the running request; ``done`` with the token when it ends (a client that drives the app
    in its own task, as the tests do, would otherwise carry it into its next request)."""
    return _current.set(dialect)


def done(token: Token[Dialect]) -> None:
    _current.reset(token)
