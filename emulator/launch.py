"""The process entry point (console script and ``python -m emulator``).

Start-up builds a few hundred thousand objects that live as long as the process (modules, classes, routes); hunting
for garbage cycles among them while they are built only costs time, so the collector is off until ``serve`` has
frozen them (it switches the collector back on). Short commands simply end with it off.
"""

from __future__ import annotations

import gc


def main() -> int:
    gc.disable()
    from emulator.cli import main as run

    return run()
