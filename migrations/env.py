"""Alembic environment: the emulator passes its own connection; the models are the target metadata."""

from alembic import context

from emulator.db.base import Base
from emulator.db.models import load_models

load_models()
target_metadata = Base.metadata
connection = context.config.attributes.get("connection")

if connection is None:
    from sqlalchemy import create_engine

    url = context.config.get_main_option("sqlalchemy.url") or "sqlite:///data/faxfinder.sqlite3"
    connection = create_engine(url).connect()

context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
