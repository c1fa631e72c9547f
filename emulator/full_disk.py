"""A full disk answers ``503``, never a bare ``500``: on /ffws/v1 with the device's XML ``<message>``, on /_emulator
with a JSON ``error``.

Whatever the request was doing when the disk filled (ENOSPC or EDQUOT from a write, SQLite's "database or disk is
full", a preview that found no room), its unit of work has rolled back and the files it had moved into place are
gone (``UnitOfWork.on_abort``), so nothing is half-written, and the next request once there is room again succeeds.
The answer is made here, around the routes and inside the journal's middleware (which records it), for exceptions
that no handler of the app answered; an answer already begun is left as it is.
"""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.catalogue import device
from emulator.device.quota import NotEnoughStorage, disk_full
from emulator.wire.response import error_response

log = logging.getLogger("emulator")
DISK_FULL = "not enough storage: the disk is full"


def full_disk_response(path: str, message: str) -> Response:
    if path.startswith(device.prefix):
        return error_response(503, message)
    return JSONResponse({"error": message}, status_code=503)


class FullDiskMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            if started or not disk_full(exc):
                raise
            message = exc.message if isinstance(exc, NotEnoughStorage) else DISK_FULL
            log.warning("%s %s: %s (%s: %s)", scope["method"], scope["path"], message, type(exc).__name__, exc)
            scope.setdefault("state", {})["error"] = message
            await full_disk_response(scope["path"], message)(scope, receive, send)
