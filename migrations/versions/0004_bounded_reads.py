"""bounded reads: an owner on fax entries, indexes in the order each list is read

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:00:00.000000

Every list (fax entries, logs, phone books, groups) gets an index that matches its filter and its order, so that a
read stops at its limit. ``fax_entries.owner`` copies ``faxes.owner`` (one user's entries by index), and a final
entry that never got a ``completed_at`` gets its ``stime`` (the key the list of newest completed entries used).

No table is rebuilt: SQLite would drop the old one with foreign keys on, and its cascade would delete the rows that
refer to it (the attempts of every entry). Columns are only added, indexes created and dropped.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FINAL_STATES = "'sent', 'aborted', 'failed', 'dead'"
INDEXES = {
    "fax_entries": {
        "ix_fax_entries_state_key": ["state", "fax_id", "number"],
        "ix_fax_entries_owner_state_key": ["owner", "state", "fax_id", "number"],
        "ix_fax_entries_completed_key": ["completed_at", "fax_id", "number"],
        "ix_fax_entries_owner_completed_key": ["owner", "completed_at", "fax_id", "number"],
    },
    "attempts": {
        "ix_attempts_finished_start_time": ["finished", "start_time"],
        "ix_attempts_owner_finished_start_time": ["owner", "finished", "start_time"],
        "ix_attempts_entry_id_finished": ["entry_id", "finished"],
    },
    "inbound_faxes": {
        "ix_inbound_faxes_finished_start_time": ["finished", "start_time"],
        "ix_inbound_faxes_recipient_finished": ["recipient", "finished"],
    },
    "contacts": {
        "ix_contacts_owner_name": ["owner", "name"],
        "ix_contacts_owner_fax_number": ["owner", "fax_number"],
        "ix_contacts_owner_phone_number": ["owner", "phone_number"],
        "ix_contacts_owner_organization": ["owner", "organization"],
    },
    "contact_groups": {
        "ix_contact_groups_owner_name": ["owner", "name"],
        "ix_contact_groups_owner_description": ["owner", "description"],
    },
}
# Single-column indexes the composite ones replace (each is the first column of one of them).
REPLACED = {
    "fax_entries": {"ix_fax_entries_state": ["state"]},
    "attempts": {
        "ix_attempts_finished": ["finished"],
        "ix_attempts_owner": ["owner"],
        "ix_attempts_entry_id": ["entry_id"],
    },
    "inbound_faxes": {"ix_inbound_faxes_finished": ["finished"]},
}


def _create(indexes: dict[str, dict[str, list[str]]]) -> None:
    for table, named in indexes.items():
        with op.batch_alter_table(table, recreate="never") as batch_op:
            for name, columns in named.items():
                batch_op.create_index(name, columns, unique=False)


def _drop(indexes: dict[str, dict[str, list[str]]]) -> None:
    for table, named in indexes.items():
        with op.batch_alter_table(table, recreate="never") as batch_op:
            for name in named:
                batch_op.drop_index(name)


def upgrade() -> None:
    with op.batch_alter_table("fax_entries", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), server_default="", nullable=False))
    op.execute("UPDATE fax_entries SET owner = (SELECT faxes.owner FROM faxes WHERE faxes.id = fax_entries.fax_id)")
    op.execute(f"UPDATE fax_entries SET completed_at = stime WHERE completed_at IS NULL AND state IN ({FINAL_STATES})")
    _drop(REPLACED)
    _create(INDEXES)


def downgrade() -> None:
    _drop(INDEXES)
    _create(REPLACED)
    with op.batch_alter_table("fax_entries", recreate="never") as batch_op:
        batch_op.drop_column("owner")
