"""document generation: the set of stored documents that belongs to the database's rows

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 18:00:00.000000

A reset or a snapshot import writes its documents into a directory of their own and records that directory's name
here, in the transaction that replaces the rows; the directory is swapped in after the commit, and a start after a
crash puts back the one named here. A database without a row keeps the documents it has.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_generation")),
    )


def downgrade() -> None:
    op.drop_table("document_generation")
