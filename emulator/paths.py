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


def private_dir(path: Path) -> Path:
    """Make ``path`` if it does not exist, readable by this user only (0700): it holds the database, with password
    hashes, and the documents of every fax. Missing parents are made as ``mkdir -p`` makes them; a directory that
    already exists is left as it is (it may be shared on purpose, a mounted volume, say)."""
    if not path.is_dir():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode goes through the umask
    return path
