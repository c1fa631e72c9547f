"""The response writer: the device's envelope and element text, byte for byte.

A payload is a tree of ``(tag, value)`` pairs where value is text (str/int/bool/None) or a list of child pairs.
Empty elements are always written ``<x></x>``, never ``<x/>``; booleans are ``true``/``false``; the XML declaration
uses double quotes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

Value: TypeAlias = "str | int | bool | None | list[Elem]"
Elem = tuple[str, Value]

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_INDENT = "  "
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def el(tag: str, value: Value = None) -> Elem:
    return (tag, value)


def text_of(value: str | int | bool | None) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _escape(text: str) -> str:
    # Characters XML 1.0 cannot carry at all are dropped rather than producing a document clients cannot parse.
    text = text.translate(_ESCAPES)
    if any(ord(c) < 0x20 and c not in "\t\n\r" for c in text):
        text = "".join(c for c in text if ord(c) >= 0x20 or c in "\t\n\r")
    return text.replace("\r", "&#13;")


def _write(out: list[str], elem: Elem, depth: int) -> None:
    tag, value = elem
    pad = _INDENT * depth
    if isinstance(value, list):
        out.append(f"{pad}<{tag}>\n")
        for child in value:
            _write(out, child, depth + 1)
        out.append(f"{pad}</{tag}>\n")
    else:
        out.append(f"{pad}<{tag}>{_escape(text_of(value))}</{tag}>\n")


def render_elements(elements: Iterable[Elem], depth: int = 0) -> str:
    out: list[str] = []
    for elem in elements:
        _write(out, elem, depth)
    return "".join(out)


def envelope(message: str, elements: Iterable[Elem] = (), *, blank_line: bool = False) -> bytes:
    """``<?xml …?><response><message>…</message>…</response>`` as UTF-8 bytes (``blank_line``: an empty line
    before ``</response>``, as some firmware writes its errors)."""
    body = render_elements([("message", message)], 1) + render_elements(elements, 1)
    end = "\n</response>\n" if blank_line else "</response>\n"
    return DECLARATION + f"<response>\n{body}{end}".encode()
