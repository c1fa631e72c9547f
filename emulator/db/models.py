"""Every table of the emulator, imported in one place for Alembic and for snapshots."""


def load_models() -> None:
    from emulator.device import config as _config  # noqa: F401
    from emulator.device import inbound as _inbound  # noqa: F401
    from emulator.device import models as _device  # noqa: F401
    from emulator.ffws.contacts import models as _contacts  # noqa: F401
    from emulator.ffws.groups import models as _groups  # noqa: F401
    from emulator.ffws.users import models as _users  # noqa: F401
    from emulator.mail import models as _mail  # noqa: F401
