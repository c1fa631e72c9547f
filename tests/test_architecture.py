"""The shape of the code that the rest relies on: data flows one way, with no import cycles, and every route is
parse → service → render through the request's unit of work (no route opens a transaction, takes a lock or wakes
anything by hand)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "emulator"
HAND_WORK = re.compile(
    r"\.transaction\(|\.read\(\)|\.nudge\(|\.lock\b|auth\.(forget|clear)\(|\.begin\(|\.works?\(|\.publish\("
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports(path: Path) -> set[str]:
    """What a module imports when it is loaded (not inside functions, not for type checking only)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("emulator"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("emulator"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): _module_level_imports(p) for p in PACKAGE.rglob("*.py")}
    return {name: {d for d in deps if d in modules and d != name} for name, deps in modules.items()}


def _cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
    path: list[str] = []
    seen: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in seen:
            return None
        seen.add(node)
        path.append(node)
        for nxt in sorted(graph[node]):
            cycle = visit(nxt)
            if cycle:
                return cycle
        path.pop()
        return None

    return visit(start)


def test_no_import_cycles():
    graph = _graph()
    for module in sorted(graph):
        assert _cycle_from(graph, module) is None, _cycle_from(graph, module)


def test_db_device_and_events_never_import_the_device_surface_or_the_box():
    graph = _graph()
    lower = [m for m in graph if m.startswith(("emulator.db", "emulator.device", "emulator.events"))]
    assert lower
    for module in lower:
        above = {d for d in graph[module] if d.startswith(("emulator.ffws", "emulator.box", "emulator.control"))}
        assert not above, f"{module} imports {above}"


def test_routes_do_no_transaction_locking_or_waking_by_hand():
    routes = sorted(PACKAGE.glob("ffws/*/routes.py"))
    assert len(routes) >= 10
    offenders = {
        str(path.relative_to(PACKAGE)): match.group(0)
        for path in routes
        for match in [HAND_WORK.search(path.read_text())]
        if match
    }
    assert offenders == {}


DIRECT_QUERY = re.compile(r"\bselect\(|\.execute\(|\.query\(|\.scalars?\(|\bsession\.(add|delete|get)\(")
# What the services keep to themselves: the settings documents (and which of their fields are write-only), the
# inbound line's own records.
AROUND_THE_SERVICES = re.compile(r"\bdevice\.config\b|\bdevice import config\b|\bWRITE_ONLY\b|\.inbound\.receiving\(")


def test_the_web_pages_go_through_the_services_never_around_them():
    """The pages read and write only through the /ffws/v1 services and the request's unit of work: no query of
    their own, no settings read where a service reads them, no transaction, lock or wake-up by hand."""
    pages = sorted((PACKAGE / "ui").glob("*.py"))
    assert len(pages) >= 6
    offenders = {
        str(path.relative_to(PACKAGE)): match.group(0)
        for path in pages
        for pattern in (HAND_WORK, DIRECT_QUERY, AROUND_THE_SERVICES)
        for match in [pattern.search(path.read_text())]
        if match
    }
    assert offenders == {}


def test_logs_metrics_and_the_live_stream_query_nothing_themselves():
    """They read the box through its own functions (line states, the queue's depth) in a unit of work of theirs."""
    observers = sorted((PACKAGE / "observe").glob("*.py"))
    assert len(observers) >= 3
    offenders = {
        str(path.relative_to(PACKAGE)): match.group(0)
        for path in observers
        for pattern in (DIRECT_QUERY, AROUND_THE_SERVICES)
        for match in [pattern.search(path.read_text())]
        if match
    }
    assert offenders == {}


def test_the_server_starts_without_the_libraries_it_needs_only_later():
    """Start-up time (README, Benchmarks): the document, image, template, metrics, mail and database-driver
    libraries are imported when first used, not when the server is."""
    later = ("pypdf", "reportlab", "lxml", "alembic", "PIL", "pypdfium2", "httpx", "jinja2", "prometheus_client",
             "aiosmtpd", "psycopg")  # fmt: skip
    probe = f"import sys, emulator.server; print(sorted(m for m in {later!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
