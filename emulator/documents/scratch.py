"""Where a conversion writes a file before moving it into place (a module of its own: the server imports it at
start-up, the PDF libraries only when a document is converted)."""

from __future__ import annotations

from pathlib import Path


def scratch_path(dst: Path) -> Path:
    """Where ``atomic_output`` writes ``dst`` before moving it into place (left behind only if its process died)."""
    return dst.with_name(f".{dst.name}.part")
