"""The schema: HEAD names the newest migration, and a migrated database matches the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from emulator.db import Base
from emulator.db.migrate import HEAD, current_revisions, script_heads
from emulator.db.models import load_models


def test_head_is_the_newest_migration():
    assert script_heads() == {HEAD}


def test_a_started_box_is_at_head_and_matches_the_models(client):
    load_models()
    engine = client.box.db.engine
    assert current_revisions(engine) == {HEAD}
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
