"""The one request parser: hardened lxml, liberal in what it accepts (13-client-contract R3–R7).

Hardened: no entity resolution, no DTD (a document carrying one is refused), no network, depth and element count
capped. Liberal: any child order, unknown children kept but ignored by callers, ``<x/>`` = ``<x></x>``, single,
double or no XML declaration, leading white space, CRLF or LF.

Very large text (base64 attachment content) can be handed to a sink while parsing, so the document tree never holds
it: ``parse_xml(source, sinks={"content": store})`` calls ``store(text)`` when a ``content`` element ends and keeps
the sink's return value in ``node.ref``.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from emulator.wire.errors import INVALID_XML, FFWSError
from emulator.wire.tolerance import Shape, check_shape

if TYPE_CHECKING:
    from lxml import etree

# The one set of parser options for anything a client sent: no entity resolved, no DTD loaded, never the network.
HARDENED = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "remove_comments": True,
    "remove_pis": True,
}
MAX_DEPTH = 32
DOCTYPE_REFUSED = "a DOCTYPE is not allowed"
MAX_ELEMENTS = 50_000


@dataclass(eq=False)
class XNode:
    tag: str
    text: str = ""
    children: list[XNode] = field(default_factory=list)
    ref: Any = None
    attributes: tuple[str, ...] = ()  # their names only: the box reads no attribute (strict mode names them)
    namespace: str = ""  # the element's namespace URI, if any: names are read without it
    stray_text: bool = False  # text between its child elements (mixed content): never read

    def get(self, name: str) -> XNode | None:
        for child in self.children:
            if child.tag == name:
                return child
        return None

    def all(self, name: str) -> list[XNode]:
        return [child for child in self.children if child.tag == name]

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def value(self, name: str) -> str | None:
        """Text of the child ``name``; None when absent. Of several, the first non-blank one wins (R8)."""
        found = self.all(name)
        if not found:
            return None
        for child in found:
            if child.text.strip():
                return child.text
        return ""


def not_valid_xml(detail: str) -> FFWSError:
    """The device's 400 for a body that is not acceptable XML, naming the problem."""
    detail = detail.strip().rstrip(".")
    return FFWSError(400, f"{INVALID_XML[:-1]}: {detail}" if detail else INVALID_XML)


def _skip_leading_space(source: bytes | IO[bytes]) -> tuple[IO[bytes], bytes]:
    """The body without its leading white space, and its first bytes (at least 4 KiB of them, when there are)."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        data = data[len(data) - len(data.lstrip()) :]
        return io.BytesIO(data), data[:4096]
    head = source.read(4096)
    stripped = head.lstrip()
    while not stripped and head:
        head = source.read(4096)
        stripped = head.lstrip()
    return _Prefixed(stripped, source), stripped


# What may stand before a DOCTYPE: an XML declaration, processing instructions, comments and white space.
_PROLOG_PART = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.S)


def _declares_doctype(head: bytes) -> bool:
    """Whether the prolog in ``head`` reaches a DOCTYPE (ASCII-compatible encodings; the parser's own check below
    catches the rest). Refused before parsing, a DTD is never read: libxml2 would otherwise stop inside a hostile
    one with a message of its own (entity amplification) instead of this check's."""
    position = 0
    while (part := _PROLOG_PART.match(head, position)) is not None and part.end() > position:
        position = part.end()
    return head.startswith(b"<!DOCTYPE", position)


class _Prefixed(io.RawIOBase):
    """A stream that first yields ``prefix`` and then the rest of ``rest`` (avoids copying large bodies)."""

    def __init__(self, prefix: bytes, rest: IO[bytes]) -> None:
        self._prefix = prefix
        self._rest = rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            if size < 0 or size >= len(self._prefix):
                chunk, self._prefix = self._prefix, b""
                return chunk + (self._rest.read(size - len(chunk)) if size > len(chunk) else b"")
            chunk, self._prefix = self._prefix[:size], self._prefix[size:]
            return chunk
        return self._rest.read(size)


def parse_xml(
    source: bytes | IO[bytes],
    *,
    root: str | tuple[str, ...],
    sinks: dict[str, Callable[[str], Any]] | None = None,
    huge: bool = False,
    shape: Shape | None = None,
) -> XNode:
    """Parse a request body whose root element must be ``root`` (one name or several); raise FFWSError(400).
    ``shape``: what the box reads of the document; anything else in it is noted as tolerated (tolerance.py)."""
    stream, head = _skip_leading_space(source)
    if _declares_doctype(head):
        raise not_valid_xml(DOCTYPE_REFUSED)
    roots = (root,) if isinstance(root, str) else root
    sinks = sinks or {}
    stack: list[XNode] = []
    count = 0
    top: XNode | None = None
    from lxml import etree  # loaded with the first body parsed, not at start-up (a start answers /verify sooner)

    etree.clear_error_log()  # the log is per thread and cumulative; _syntax_detail reads this parse's last entry
    context = etree.iterparse(stream, events=("start", "end"), huge_tree=huge, **HARDENED)
    failure: FFWSError | None = None
    with_dtd = False
    try:
        for event, elem in context:
            if event == "start":
                count += 1
                if not stack:
                    with_dtd = has_dtd(elem)
                    _check_root(elem, roots, with_dtd)
                if len(stack) >= MAX_DEPTH:
                    raise not_valid_xml(f"elements nested deeper than {MAX_DEPTH} levels")
                if count > MAX_ELEMENTS:
                    raise not_valid_xml(f"more than {MAX_ELEMENTS} elements")
                previous = elem.getprevious()
                if previous is not None and _has_text(previous.tail):
                    stack[-1].stray_text = True
                stack.append(XNode(_local_name(elem), attributes=tuple(map(_local, elem.attrib)), namespace=_ns(elem)))
                continue
            node = stack.pop()
            if len(elem) and _has_text(elem[-1].tail):
                node.stray_text = True
            text = elem.text or ""
            sink = sinks.get(node.tag) if not node.children and len(stack) >= 1 else None
            if sink is not None:
                node.ref = sink(text)
            else:
                node.text = text
            if stack:
                stack[-1].children.append(node)
            else:
                top = node
            # Free what has been consumed: the element's text and the siblings already converted. The tail stays
            # until the next sibling starts (or the parent ends): text there is mixed content the box ignores.
            elem.clear(keep_tail=True)
            parent = elem.getparent()
            while parent is not None and elem.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        failure = not_valid_xml(_syntax_detail(exc))
    except FFWSError as exc:
        failure = FFWSError(exc.status, exc.message, exc.headers)  # a copy whose traceback holds no element
    finally:
        context = elem = parent = None  # noqa: F841 - nothing of the tree outlives this call
    if failure is not None:
        # A refused document is freed now, not whenever a full garbage collection happens to run. An iterparse left
        # before its end keeps its parser and document in a reference cycle (lxml frees them itself only when the
        # parse completes), and a DTD of a million entity declarations weighs hundreds of megabytes. The error
        # raised below is a copy whose traceback reaches no element; collecting the young generations, where the
        # cycle still is, frees the rest.
        if with_dtd:  # a parse long enough to load a DTD may have aged its objects past the young generations
            gc.collect()
        else:
            gc.collect(1)
        raise failure
    if top is None:
        raise FFWSError(400, INVALID_XML)
    if shape is not None:
        check_shape(top, shape)
    return top


def has_dtd(elem: Any) -> bool:
    """Whether the document of ``elem`` carries a DOCTYPE or a DTD."""
    docinfo = elem.getroottree().docinfo
    return bool(docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None)


def _check_root(elem: Any, roots: tuple[str, ...], with_dtd: bool) -> None:
    if with_dtd:
        raise not_valid_xml(DOCTYPE_REFUSED)
    name = _local_name(elem)
    if name not in roots:
        expected = " or ".join(f"<{r}>" for r in roots)
        raise FFWSError(400, f"invalid root element: expected {expected}, got <{name}>")


def _local_name(elem: Any) -> str:
    """The element's name without namespace or prefix (an undeclared prefix such as ``a:b`` is kept by libxml2)."""
    return _local(elem.tag if isinstance(elem.tag, str) else "")


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _ns(elem: Any) -> str:
    tag = elem.tag if isinstance(elem.tag, str) else ""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _has_text(text: str | None) -> bool:
    return bool(text) and not text.isspace()


def _syntax_detail(exc: etree.XMLSyntaxError) -> str:
    msg = str(exc.msg or exc).split("\n")[0]
    if not msg or "empty" in msg or "no element found" in msg:
        # iterparse says "no element found" also when the first error was elsewhere (an undefined entity, say);
        # libxml2's log then holds the real one, with a position inside the document.
        last = exc.error_log.last_error
        if last is not None and last.line > 0 and "empty" not in last.message:
            return f"{last.message}, line {last.line}, column {last.column}"
        return "the document is empty"
    return msg
