"""Every table of the emulator, imported in one place for Alembic and for snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Table


def load_models() -> None:
    from emulator.cluster import models as _cluster  # noqa: F401
    from emulator.device import config as _config  # noqa: F401
    from emulator.device import inbound as _inbound  # noqa: F401
    from emulator.device import models as _device  # noqa: F401
    from emulator.ffws.contacts import models as _contacts  # noqa: F401
    from emulator.ffws.groups import models as _groups  # noqa: F401
    from emulator.ffws.users import models as _users  # noqa: F401
    from emulator.mail import models as _mail  # noqa: F401


def state_tables() -> list[Table]:
    """The tables of the box's state, parents first: not what the workers serving it share (the clock, the faults,
    the journal: emulator.cluster), which a reset or an import does not wipe."""
    from emulator.db import Base

    load_models()
    return [table for table in Base.metadata.sorted_tables if not table.info.get("shared")]
