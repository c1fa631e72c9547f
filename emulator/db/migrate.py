"""The schema's life: Alembic upgrade to head on start.

Importing Alembic costs a tenth of a second, so a start on a database already at ``HEAD`` only reads the version
table; Alembic is loaded when there is something to migrate. (A test keeps ``HEAD`` equal to the newest migration.)
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from emulator import paths

HEAD = "0009"


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return set()
        return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}


def upgrade(engine: Engine) -> None:
    if current_revisions(engine) == {HEAD}:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(paths.migrations_dir()))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def script_heads() -> set[str]:
    """The newest migrations on disk (for the test that keeps HEAD honest)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(paths.migrations_dir()))
    return set(ScriptDirectory.from_config(config).get_heads())
