"""web_secret: the key the web pages' cookies are signed with, and the sessions ended by logging out, shared by
the workers of one box

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 01:00:00.000000

Workers on one PostgreSQL database sign the pages' cookies with one key, made by the first worker that needs it, so
that a browser logged in through one worker is logged in through every other; a logout through any of them is kept
until the cookie would have expired, so that no worker (one started later included) takes that cookie again. A
single process keeps both in memory and leaves them empty.
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
    op.create_table(
        "cluster_web_logouts",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_cluster_web_logouts")),
    )


def downgrade() -> None:
    op.drop_table("cluster_web_logouts")
    with op.batch_alter_table("cluster_state") as batch:
        batch.drop_column("web_secret")
