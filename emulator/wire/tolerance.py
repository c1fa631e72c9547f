"""What the box tolerated in a request: the client mistakes a real FaxFinder silently ignores, said out loud.

The device is liberal (13-client-contract R3–R7): an unknown element, an element in the wrong parent, a repeated one,
an attribute, a wrong content type, an unknown query parameter, a value beyond the attested ones are all taken
without a word. A careful client sends none of them, and a contract test wants to hear about each. Whoever notices
one calls ``tolerated(text)``: the note goes onto the request's journal entry, or, in strict mode, the request is
answered ``400`` naming it, before anything is written (every check runs while the request is read).

The app opens one ``Tolerance`` per request (``begin``); outside a request (the queue, the tests of a reader) notes go
nowhere.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emulator.wire.errors import FFWSError

if TYPE_CHECKING:
    from emulator.wire.parse import XNode

STRICT_PREFIX = "strict mode: "


@dataclass
class Tolerance:
    strict: bool = False
    warnings: list[str] = field(default_factory=list)


_current: ContextVar[Tolerance | None] = ContextVar("tolerance", default=None)


def begin(strict: bool) -> tuple[Tolerance, Token[Tolerance | None]]:
    """Open the running request's record; ``end`` it with the token when the request ends."""
    tolerance = Tolerance(strict)
    return tolerance, _current.set(tolerance)


def end(token: Token[Tolerance | None]) -> None:
    _current.reset(token)


def tolerated(text: str) -> None:
    """Note one tolerated mistake; in strict mode, refuse the request with it (400)."""
    tolerance = _current.get()
    if tolerance is None:
        return
    if text not in tolerance.warnings:
        tolerance.warnings.append(text)
    if tolerance.strict:
        raise FFWSError(400, STRICT_PREFIX + text)


# -- the shape of a request document -------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Shape:
    """The children an element may have: a name maps to its own Shape, or to None for a leaf (text). Names in
    ``repeated`` may appear several times (recipients, attachments, group members)."""

    children: Mapping[str, Shape | None]
    repeated: frozenset[str] = frozenset()


def leaves(*names: str) -> dict[str, None]:
    return dict.fromkeys(names)


def check_shape(node: XNode, shape: Shape) -> None:
    """Note every element, attribute, namespace or text of ``node`` the box does not read (the root's name is
    checked by the parser)."""
    _check(node, shape, node.tag, _places(node.tag, shape), "")


def _check(node: XNode, shape: Shape | None, where: str, places: Mapping[str, tuple[str, ...]], namespace: str) -> None:
    if node.namespace != namespace:
        tolerated(f"namespace {node.namespace or '(none)'} on <{where}> is ignored: the box reads names only")
    for name in node.attributes:
        tolerated(f"attribute {name} on <{where}> is ignored")
    if shape is None:
        for child in node.children:
            tolerated(f"element <{child.tag}> in <{where}> is ignored: <{where}> holds text")
        return
    if node.text.strip() or node.stray_text:
        tolerated(f"text in <{where}> is ignored")
    counts = Counter(child.tag for child in node.children)
    for tag, count in counts.items():
        if count > 1 and tag in shape.children and tag not in shape.repeated:
            tolerated(f"element <{tag}> appears {count} times in <{where}>: the first non-empty one is read")
    seen: set[str] = set()
    for child in node.children:
        if child.tag in shape.children:
            _check(child, shape.children[child.tag], f"{where}/{child.tag}", places, node.namespace)
        elif child.tag not in seen:
            tolerated(_stray(child.tag, where, shape, places))
        seen.add(child.tag)


def _stray(tag: str, where: str, shape: Shape, places: Mapping[str, tuple[str, ...]]) -> str:
    elsewhere = places.get(tag)
    if elsewhere:
        return f"element <{tag}> does not belong in <{where}> (it goes in {', '.join(f'<{p}>' for p in elsewhere)})"
    hint = closest(tag, tuple(shape.children))
    return f"unknown element <{tag}> in <{where}>" + (f" (did you mean <{hint}>?)" if hint else "")


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def closest(tag: str, known: tuple[str, ...]) -> str | None:
    """The known name a client most likely meant: its snake_case form (``FaxNumber``), a near spelling
    (``max_trys``), or a name it abbreviates (``n``)."""
    snake = _CAMEL.sub("_", tag).lower()
    if snake in known:
        return snake
    near = difflib.get_close_matches(snake, known, n=1, cutoff=0.75)
    if near:
        return near[0]
    starting = [name for name in known if len(snake) <= 2 and name.startswith(snake)]
    return starting[0] if len(starting) == 1 else None


@functools.cache
def _places(root: str, shape: Shape) -> dict[str, tuple[str, ...]]:
    """Every element name the document may hold → the elements it belongs in."""
    found: dict[str, list[str]] = {}

    def walk(current: Shape, where: str) -> None:
        for name, inner in current.children.items():
            found.setdefault(name, []).append(where)
            if inner is not None:
                walk(inner, f"{where}/{name}")

    walk(shape, root)
    return {name: tuple(wheres) for name, wheres in found.items()}
