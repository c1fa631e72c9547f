"""Jobs for the worker-pool tests, run in a worker process by name (``tests.documents.worker_jobs:NAME``)."""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

from emulator.documents.errors import ConversionError
from emulator.documents.limits import Limits, TooManyPages


def pid(*, limits: Limits) -> int:
    return os.getpid()


def spin(*, limits: Limits) -> None:
    """Python code that never ends: the CPU budget must end it."""
    count = 0
    while True:
        count += 1


def spin_in_c(*, limits: Limits) -> int:
    """One call into C that runs for minutes without returning to the interpreter (no signal handler runs)."""
    return sum(range(10**12))


def sleep(seconds: float, *, limits: Limits) -> None:
    """Uses no CPU: only the wall-clock deadline ends it."""
    time.sleep(seconds)


def allocate(mib: int, *, limits: Limits) -> int:
    return len(bytearray(mib * 1024 * 1024))


def refuse(limit: int, *, limits: Limits) -> None:
    if limit:
        raise TooManyPages(limit)
    raise ConversionError("not a valid PDF")


def die(*, limits: Limits) -> None:
    os._exit(3)


def pillow_settings(*, limits: Limits) -> tuple[int | None, bool]:
    """Pillow's pixel limit in the worker, and whether its decompression-bomb warning is an error there."""
    from PIL import Image

    actions = [f[0] for f in warnings.filters if f[2] is Image.DecompressionBombWarning]
    return Image.MAX_IMAGE_PIXELS, bool(actions) and actions[0] == "error"


class Unrebuildable(Exception):
    """Pickles, but cannot be unpickled (its __init__ wants two arguments, its args hold one)."""

    def __init__(self, first: str, second: str) -> None:
        super().__init__(f"{first} {second}")


def raise_unrebuildable(*, limits: Limits) -> None:
    raise Unrebuildable("a", "b")


def exit_job(*, limits: Limits) -> None:
    raise SystemExit(4)


def write_scratch_then_die(dst: Path, *, limits: Limits) -> None:
    """Dies half-way through writing ``dst`` (its scratch file written, not yet moved into place)."""
    from emulator.documents.pdf import scratch_path

    scratch_path(dst).write_bytes(b"%PDF-half")
    os._exit(9)
