"""mail queue: receipts and received faxes by e-mail; a received fax's e-mail destinations; T.33 sub-addresses

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:00:00.000000

The mail queue holds every mail the box sends (its message is a stored document, mail/ID.eml). A received fax
remembers the e-mail destinations of the route that took it; a fax entry may carry a T.33 sub-address (fax by
e-mail's T33S option).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fax_id", sa.Integer(), nullable=True),
        sa.Column("entry_number", sa.Integer(), nullable=True),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("recipient_name", sa.String(length=255), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachments", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_queue")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("mail_queue", schema=None) as batch_op:
        batch_op.create_index("ix_mail_queue_state_next_attempt_at", ["state", "next_attempt_at"], unique=False)
    with op.batch_alter_table("inbound_faxes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emails", sa.Text(), server_default="", nullable=False))
    with op.batch_alter_table("fax_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subaddress", sa.String(length=20), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("fax_entries", schema=None) as batch_op:
        batch_op.drop_column("subaddress")
    with op.batch_alter_table("inbound_faxes", schema=None) as batch_op:
        batch_op.drop_column("emails")
    with op.batch_alter_table("mail_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_queue_state_next_attempt_at")
    op.drop_table("mail_queue")
