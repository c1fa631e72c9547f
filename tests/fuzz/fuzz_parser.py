"""Fuzzing the XML request parser for a bounded time (``make fuzz``; not part of ``make test``).

Hypothesis generates documents from a grammar of near-valid FFWS bodies plus raw bytes; the parser must either
return a tree or raise FFWSError with a 4xx status, never anything else, and never take long. Findings become
regression tests in tests/wire/.
"""

from __future__ import annotations

import os
import sys
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.wire import FFWSError, parse_xml

NAMES = st.sampled_from(["schedule_fax", "user", "contact", "recipient", "content", "name", "x", "a:b", "_"])
TEXT = st.text(max_size=30)
PIECES = st.one_of(
    TEXT,
    st.sampled_from(["&amp;", "&lt;", "&#0;", "&#x110000;", "&undefined;", "<![CDATA[x]]>", "<!--c-->", "<?pi x?>"]),
    st.sampled_from(['<!DOCTYPE x [<!ENTITY e "v">]>', "<!ENTITY e SYSTEM 'file:///etc/passwd'>", "&e;", "]]>"]),
)


@st.composite
def documents(draw, depth: int = 0) -> str:
    name = draw(NAMES)
    if depth > 4 or draw(st.integers(0, 3)) == 0:
        return f"<{name}>{''.join(draw(st.lists(PIECES, max_size=3)))}</{name}>"
    children = "".join(draw(st.lists(documents(depth + 1), max_size=4)))
    attrs = draw(st.sampled_from(["", ' a="1"', " xmlns='urn:x'", " a=1"]))
    return f"<{name}{attrs}>{children}</{name}>"


BODIES = st.one_of(
    documents().map(lambda d: d.encode()),
    st.tuples(
        st.sampled_from(["", "<?xml version='1.0'?>", '<?xml version="1.0" encoding="ISO-8859-1"?>']), documents()
    ).map(lambda p: (p[0] + p[1]).encode("utf-8")),
    st.binary(max_size=300),
)


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(body=BODIES)
def fuzz_once(body: bytes) -> None:
    started = time.perf_counter()
    try:
        parse_xml(body, root=("schedule_fax", "user", "contact"), sinks={"content": len})
    except FFWSError as exc:
        assert 400 <= exc.status < 500, exc
    assert time.perf_counter() - started < 1.0, body[:200]


def main() -> int:
    budget = float(os.environ.get("FUZZ_SECONDS", "60"))
    deadline = time.monotonic() + budget
    rounds = 0
    while time.monotonic() < deadline:
        fuzz_once()
        rounds += 1
    print(f"parser fuzzing: {rounds * 500} documents in {budget:.0f} s, no finding")
    return 0


if __name__ == "__main__":
    sys.exit(main())
