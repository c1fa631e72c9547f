"""GET /_emulator/health: is the box up (database migrated), which model, which version."""

from __future__ import annotations

from emulator import __version__
from emulator.catalogue import control
from emulator.control.deps import ControlBox
from emulator.control.errors import ControlError


@control.route("GET", "/health", errors=(503,))
def health(box: ControlBox) -> dict:
    """Liveness: 200 once the database is migrated."""
    if not box.ready:
        raise ControlError(503, "starting")
    answer = {"status": "ok", "model": box.settings.model, "version": __version__}
    if box.cluster is not None:  # which of the box's workers answered, and whether it runs the queue
        answer.update(worker=box.cluster.worker, leader=box.cluster.leader)
    return answer


@control.route("GET", "/endpoints")
def endpoints(box: ControlBox) -> dict:
    """The endpoint catalogue: every route with method, path, models and provenance."""
    from emulator.catalogue import all_endpoints

    return {"endpoints": [e.as_json() for e in all_endpoints()]}


@control.route("GET", "/profile")
def profile(box: ControlBox) -> dict:
    """The firmware profiles: the box's own, and every named switch with its value and source in each profile."""
    from emulator.device.firmware import describe

    return describe(box.firmware.name)
