"""Where the emulator finds its own data files: installed inside the package, or beside it in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(installed: str, checkout: str) -> Path:
    inside = _PACKAGE / installed
    return inside if inside.is_dir() else _PACKAGE.parent / checkout


def migrations_dir() -> Path:
    return _find("_migrations", "migrations")


def fixtures_dir() -> Path:
    return _find("_fixtures", "fixtures")
