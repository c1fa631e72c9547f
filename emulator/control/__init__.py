"""The /_emulator JSON API: ours, not the device's."""

from emulator.control import health as _health  # noqa: F401
