"""The /_emulator JSON API: ours, not the device's."""

from emulator.control import admin as _admin  # noqa: F401
from emulator.control import clock as _clock  # noqa: F401
from emulator.control import events as _events  # noqa: F401
from emulator.control import faults as _faults  # noqa: F401
from emulator.control import health as _health  # noqa: F401
from emulator.control import inbound as _inbound  # noqa: F401
from emulator.control import outbox as _outbox  # noqa: F401
