"""GET /_emulator/health: is the box up (database migrated), which model, which version."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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


@control.route("GET", "/readyz", errors=(503,))
def readiness(box: ControlBox) -> dict:
    """Readiness: 200 when the box can serve and work (database answering, queue running, documents in place)."""
    checks = {"started": box.ready, "database": False, "queue": False, "documents": box.works.pending is None}
    try:
        with box.db.read() as session:
            checks["database"] = session.execute(text("SELECT 1")).scalar() == 1
    except Exception:  # any failure to read is the answer: not ready
        checks["database"] = False
    # Under the manual clock the queue runs within each advance; otherwise its runner must be up.
    checks["queue"] = box.clock.manual or box.runner.running
    failing = [name for name, ok in checks.items() if not ok]
    if failing:
        return JSONResponse({"error": "not ready: " + ", ".join(failing), "checks": checks}, status_code=503)
    return {"status": "ready", "checks": checks}


@control.route("GET", "/metrics", responses={"200": {"content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(request: Request, box: ControlBox) -> Response:
    """Prometheus metrics: requests by route and status, faxes by final state, queue depth, busy lines, conversions."""
    body, content_type = box.metrics.exposition(request.headers.get("accept", ""))
    return Response(body, media_type=content_type)


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
