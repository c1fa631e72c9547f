"""The door of the control plane, at the ASGI level so that it runs before anything reads a body.

The token is checked on the headers alone: a caller without the right ``X-Emulator-Token`` gets its ``401`` before
one byte of its body is read. Then the body is read up to its cap (``--control-max-body``), refused with ``413`` as
soon as the ``Content-Length`` or the bytes received so far pass it, and only a body within the cap reaches the app,
which parses it. The snapshot import has its own, larger cap (``--snapshot-max-body``): the gate refuses a
``Content-Length`` beyond it, and its route, which streams the body to disk, refuses the bytes that pass it. FastAPI
would otherwise read the whole body (to parse it) before any dependency, the token check included, could run.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.catalogue import control

if TYPE_CHECKING:
    from emulator.box import Box

REFUSED = "missing or wrong X-Emulator-Token"
SNAPSHOT_IMPORT = ("POST", control.prefix + "/state/import")
CONTROL_CAP, SNAPSHOT_CAP = "FFEMU_CONTROL_MAX_BODY", "FFEMU_SNAPSHOT_MAX_BODY"


def token_matches(scope: Scope, token: str) -> bool:
    """The first X-Emulator-Token header, compared in constant time with the token (UTF-8, as clients send it)."""
    given = next((value for name, value in scope.get("headers", ()) if name == b"x-emulator-token"), b"")
    return hmac.compare_digest(given, token.encode())


def too_large(limit: int, setting: str) -> str:
    return f"request body too large: the limit is {limit} bytes ({setting})"


class ControlGate:
    """Token, then size, for every request under /_emulator; ``open_paths`` (the OpenAPI document and its page,
    which describe the API and hold no state) are readable with GET or HEAD without the token. Under
    ``open_prefix`` are the web pages, which have their own login (a browser cannot send the token with a link)."""

    def __init__(self, app: ASGIApp, box: Box, open_paths: tuple[str | None, ...] = (), open_prefix: str = "") -> None:
        self.app = app
        self.box = box
        self.open_paths = frozenset(p for p in open_paths if p)
        self.open_prefix = open_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(control.prefix):
            await self.app(scope, receive, send)
            return
        settings = self.box.settings
        token = settings.control_token
        path = scope["path"]
        is_open = (scope["method"] in ("GET", "HEAD") and path in self.open_paths) or (
            bool(self.open_prefix) and (path == self.open_prefix or path.startswith(self.open_prefix + "/"))
        )
        if token is not None and not is_open and not token_matches(scope, token):
            await _refuse(401, REFUSED, scope, receive, send)
            return
        streamed = (scope["method"], scope["path"]) == SNAPSHOT_IMPORT
        if streamed:
            limit, setting = settings.snapshot_max_body, SNAPSHOT_CAP
        else:
            limit, setting = settings.control_max_body, CONTROL_CAP
        declared = next((value for name, value in scope.get("headers", ()) if name == b"content-length"), b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(413, too_large(limit, setting), scope, receive, send)
            return
        if streamed:  # its route spools it to disk, counting against the same cap
            await self.app(scope, receive, send)
            return
        try:
            body = await _read_body(receive, limit)
        except _OverCap:
            await _refuse(413, too_large(limit, setting), scope, receive, send)
            return
        if body is None:  # the client went away
            return
        app_receive = _replay(body, receive)
        del body  # the replay holds it until the app takes it
        await self.app(scope, app_receive, send)


async def _refuse(status: int, message: str, scope: Scope, receive: Receive, send: Send) -> None:
    # The rest of the body is never read: closing the connection is the only way to be rid of it.
    response = JSONResponse({"error": message}, status_code=status, headers={"connection": "close"})
    await response(scope, receive, send)


class _OverCap(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body (None when the client disconnected); ``_OverCap`` as soon as it passes ``limit``."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        if len(body) + len(chunk) > limit:
            raise _OverCap
        body += chunk
        if not message.get("more_body", False):
            return bytes(body)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The app's receive: the body already read, in one message, then whatever the server says next (a
    disconnect)."""
    pending: list[bytes] = [body]

    async def replayed() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()

    return replayed
