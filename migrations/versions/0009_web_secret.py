"""web_secret: the key the web pages' cookies are signed with, shared by the workers of one box

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:00:00.000000

Workers on one PostgreSQL database sign the pages' cookies with one key, made by the first worker that needs it, so
that a browser logged in through one worker is logged in through every other. A single process keeps its key in
memory and leaves the column empty.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cluster_state") as batch:
        batch.add_column(sa.Column("web_secret", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cluster_state") as batch:
        batch.drop_column("web_secret")
