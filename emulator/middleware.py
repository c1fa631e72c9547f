"""What happens around every /ffws/v1 exchange: the journal records it, a matching fault may replace it, and a body
over the model's request size is refused with 413 while it is read, before any parsing."""

from __future__ import annotations

import asyncio
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.catalogue import device
from emulator.events import ExchangeRecorded
from emulator.journal import KEEP_BODY, without_passwords
from emulator.wire import dialect
from emulator.wire.errors import FFWSError
from emulator.wire.response import error_response
from emulator.wire.tolerance import begin, end

if TYPE_CHECKING:
    from emulator.box import Box


class BodyTooLarge(FFWSError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request Entity Too Large: the limit is {limit} bytes")


class ConnectionDropped(Exception):
    """Raised where a dropped connection cannot be simulated by closing a socket (in-process test clients)."""


def _transport_of(send: Send) -> Any:
    """The server's transport behind ``send``. Servers such as uvicorn give the app a bound method of the request
    cycle, which holds the transport; the middleware outside ours (Starlette's ServerErrorMiddleware, FastAPI's)
    wrap it in closures, so look through those too (a short, bounded search)."""
    seen: set[int] = set()
    todo: list[Any] = [send]
    while todo and len(seen) < 32:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        owner = getattr(current, "__self__", None)
        transport = getattr(owner, "transport", None)
        if transport is not None and hasattr(transport, "close"):
            return transport
        for cell in getattr(current, "__closure__", None) or ():
            try:
                todo.append(cell.cell_contents)
            except ValueError:  # an empty cell
                continue
        todo = [t for t in todo if callable(t)]  # only functions and methods can lead to the server's send
    return None


async def _drop(send: Send) -> None:
    transport = _transport_of(send)
    if transport is None:
        raise ConnectionDropped("connection dropped by an injected fault")
    transport.close()
    await asyncio.sleep(0)  # let the server see the connection lost before the app returns without an answer


def _recorded(entry: dict[str, Any], scope: Scope) -> ExchangeRecorded:
    """What the logs, the metrics and the live stream learn of an exchange (no body, no header)."""
    route = getattr(scope.get("route"), "path", None) or "unmatched"
    return ExchangeRecorded(
        entry.get("id"), entry["method"], entry["path"], route, entry["status"], entry["user"], entry["duration_ms"],
        entry["reason"],
    )  # fmt: skip


class DeviceMiddleware:
    def __init__(self, app: ASGIApp, box: Box) -> None:
        self.app = app
        self.box = box

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(device.prefix):
            await self.app(scope, receive, send)
            return
        box = self.box
        speaking = dialect.use(box.firmware.dialect)  # every answer of this exchange, errors included
        tolerance, noting = begin(box.settings.strict)
        started = time.perf_counter()
        method, path = scope.get("state", {}).get("as_sent", (scope["method"], scope["path"]))
        entry: dict[str, Any] = {
            "time": box.clock.now(),
            "method": method,
            "path": path,
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": None,
        }
        request_body = bytearray()
        response_body = bytearray()
        size = 0
        limit = box.profile.max_request_bytes

        async def counted_receive() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(limit)
                if len(request_body) < KEEP_BODY:
                    request_body.extend(chunk[: KEEP_BODY - len(request_body)])
            return message

        async def recorded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            elif message["type"] == "http.response.body" and len(response_body) < KEEP_BODY and method != "HEAD":
                response_body.extend(message.get("body", b"")[: KEEP_BODY - len(response_body)])
            await send(message)

        try:
            await self._exchange(scope, counted_receive, recorded_send, send, entry)
        finally:
            dialect.done(speaking)
            end(noting)
            state = scope.get("state", {})
            entry.update(
                user=state.get("username"),
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                request_size=size,
                request_body=without_passwords(bytes(request_body)),
                request_truncated=size > len(request_body),
                response_body=bytes(response_body),
                reason=state.get("error") if (entry["status"] or 0) >= 400 or entry.get("dropped") else None,
                warnings=tolerance.warnings,
            )
            if "attachments" in state:
                entry["attachments"] = state["attachments"]
            box.journal.record(entry)
            box.bus.publish([_recorded(entry, scope)])

    async def _exchange(self, scope: Scope, receive: Receive, send: Send, raw_send: Send, entry: dict) -> None:
        # A fault matches the request as the client sent it (as the journal shows it) or as it is served.
        forms = {
            scope.get("state", {}).get("as_sent", (scope["method"], scope["path"])),
            (scope["method"], scope["path"]),
        }
        fault = self.box.faults.for_request(forms)
        if fault is not None:
            entry["fault"] = fault.id
            if fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)  # real latency: what the client asked to see
            if fault.drop_connection:
                entry["dropped"] = True
                scope.setdefault("state", {})["error"] = f"connection dropped by fault {fault.id}"
                await _drop(raw_send)
                return
            if fault.status:
                message = fault.message or HTTPStatus(fault.status).phrase
                scope.setdefault("state", {})["error"] = message
                await error_response(fault.status, message)(scope, receive, send)
                return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        limit = self.box.profile.max_request_bytes
        if declared.isdigit() and int(declared) > limit:
            error = BodyTooLarge(limit)
            scope.setdefault("state", {})["error"] = error.message
            await error_response(413, error.message, {"connection": "close"})(scope, receive, send)
            return
        await self.app(scope, receive, send)
