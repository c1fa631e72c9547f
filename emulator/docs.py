"""README's generated tables: every setting, every endpoint of the catalogue, the firmware profiles.

    python -m emulator.docs README.md           rewrite the tables in place (``make docs``)
    python -m emulator.docs --check README.md   exit 1 if they are out of date

Each table sits between marker comments (``<!-- settings:start -->`` … ``<!-- settings:end -->``, the same for
``endpoints``); everything outside the markers is left as it is. tests/test_docs.py fails when README differs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from emulator.cli import _flag, default_text, env_name
from emulator.settings import Settings


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def settings_table() -> str:
    """Every field of Settings: its flag, its environment twin, its default and what it does."""
    rows = ["| Flag | Environment | Default | What it sets |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        flag = _flag(name)
        if field.annotation is bool:
            flag = f"{flag}` / `--no-{flag[2:]}"
        rows.append(
            f"| `{flag}` | `{env_name(name)}` | `{_cell(default_text(field))}` | {_cell(field.description or '')} |"
        )
    return "\n".join(rows) + "\n"


def endpoints_table() -> str:
    from emulator import catalogue  # imports every resource module, so only when asked

    return catalogue.markdown_table()


def firmware_table() -> str:
    from emulator.device import firmware

    return firmware.markdown()


TABLES: dict[str, Callable[[], str]] = {
    "settings": settings_table,
    "endpoints": endpoints_table,
    "firmware": firmware_table,
}


class MissingMarkers(ValueError):
    pass


def replace_between(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    head, found, rest = text.partition(start)
    _, found_end, tail = rest.partition(end)
    if not found or not found_end:
        raise MissingMarkers(f"README has no '{start}' … '{end}' pair")
    return f"{head}{start}\n{body}{end}{tail}"


def render(text: str) -> str:
    """The README text with every generated table brought up to date."""
    for name, make in TABLES.items():
        text = replace_between(text, name, make())
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.docs", description="Regenerate README's tables.")
    parser.add_argument("readme", type=Path, help="the README to update, e.g. README.md")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the tables are stale")
    args = parser.parse_args(argv)
    try:
        old = args.readme.read_text(encoding="utf-8")
        new = render(old)
    except (OSError, MissingMarkers) as exc:
        print(f"emulator.docs: {exc}", file=sys.stderr)
        return 2
    if new == old:
        return 0
    if args.check:
        print(f"emulator.docs: the tables in {args.readme} are out of date: run `make docs`", file=sys.stderr)
        return 1
    args.readme.write_text(new, encoding="utf-8")
    print(f"emulator.docs: updated the tables in {args.readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
