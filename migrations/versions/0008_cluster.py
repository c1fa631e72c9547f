"""cluster: what several workers serving one box share (clock, faults, journal, versions)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 23:00:00.000000

Workers on one PostgreSQL database keep their clock, faults and request journal here, and a row of versions tells
each worker when its copies (the clock, the faults, cached credentials, the whole state) are stale. A single
process keeps them in memory and leaves these tables empty.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clock_version", sa.Integer(), nullable=False),
        sa.Column("faults_version", sa.Integer(), nullable=False),
        sa.Column("credentials_version", sa.Integer(), nullable=False),
        sa.Column("state_version", sa.Integer(), nullable=False),
        sa.Column("random_draws", sa.Integer(), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("time_scale", sa.Float(), nullable=False),
        sa.Column("anchor_emulated", sa.DateTime(), nullable=False),
        sa.Column("anchor_wall", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_state")),
    )
    op.create_table(
        "cluster_faults",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("delay_ms", sa.Integer(), nullable=False),
        sa.Column("drop_connection", sa.Boolean(), nullable=False),
        sa.Column("fax_number", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("times", sa.Integer(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=True),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("draws", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_faults")),
    )
    op.create_table(
        "cluster_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("request_body", sa.LargeBinary(), nullable=False),
        sa.Column("response_body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_journal")),
    )


def downgrade() -> None:
    op.drop_table("cluster_journal")
    op.drop_table("cluster_faults")
    op.drop_table("cluster_state")
