"""settings passwords hashed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000

The SIP and T.37 passwords (write-only: the box never gives them back, and the emulator uses them for nothing) were
stored in plain text in ``device_settings``; they are now stored as Argon2 hashes, as users' passwords are. This
migration hashes those already stored. No schema change. A hash cannot be turned back: the downgrade keeps them.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WITH_PASSWORD = ("t37_settings", "sip_settings")


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT name, value FROM device_settings WHERE name IN :names").bindparams(
            sa.bindparam("names", expanding=True)
        ),
        {"names": list(WITH_PASSWORD)},
    ).all()
    plain = [(name, json.loads(value)) for name, value in rows]
    plain = [(name, value) for name, value in plain if value.get("password") and not _hashed(value["password"])]
    if not plain:
        return
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    hasher = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))  # the default settings
    for name, value in plain:
        value["password"] = hasher.hash(value["password"])
        bind.execute(
            sa.text("UPDATE device_settings SET value = :value WHERE name = :name"),
            {"name": name, "value": json.dumps(value, sort_keys=True)},
        )


def downgrade() -> None:
    pass


def _hashed(password: str) -> bool:
    return password.startswith("$argon2")
