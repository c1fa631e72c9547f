"""Engine, sessions, the declarative base and the schema's life (Alembic)."""

from emulator.db.base import Base
from emulator.db.engine import Database

__all__ = ["Base", "Database"]
