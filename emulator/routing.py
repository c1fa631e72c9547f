"""What every route of the catalogue answers besides its own path and method: the same path with a trailing slash,
and HEAD wherever GET is served.

Several clients do not follow redirects (a POST to ``/ofax/`` must schedule, not answer 307), and a HEAD is how a
monitor or a cautious client probes a resource. Both are handled once here, at the ASGI level, for the device and
the control plane alike, rather than by a second route per path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.catalogue import Endpoint


class RouteTable:
    """The path patterns of the mounted routes and the methods each serves (HEAD wherever GET is)."""

    def __init__(self, endpoints: Iterable[Endpoint], pages: Iterable[str] = ()) -> None:
        """``pages``: paths served with GET beside the catalogue's (the control plane's OpenAPI and its page)."""
        self._routes: list[tuple[re.Pattern[str], str]] = []
        routes = [(e.path, e.method) for e in endpoints] + [(page, "GET") for page in pages]
        for path, method in routes:
            pattern = compile_path(path)[0]
            self._routes.append((pattern, method))
            if method == "GET":
                self._routes.append((pattern, "HEAD"))

    def methods(self, path: str) -> set[str]:
        return {method for pattern, method in self._routes if pattern.match(path)}

    def known(self, path: str) -> bool:
        return any(pattern.match(path) for pattern, _ in self._routes)


class Forgiving:
    """A path with a trailing slash is served as the route without it (when only that one exists), and a HEAD is
    served as its GET with the body left out. What the client sent stays in ``scope["state"]["as_sent"]`` (method,
    path) for the journal."""

    def __init__(self, app: ASGIApp, table: RouteTable) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        served = path
        if len(path) > 1 and path.endswith("/") and not self.table.known(path) and self.table.known(path[:-1]):
            served = path[:-1]
        head = method == "HEAD" and "GET" in self.table.methods(served)
        if served == path and not head:
            await self.app(scope, receive, send)
            return
        scope = dict(scope, path=served, method="GET" if head else method, state=dict(scope.get("state", {})))
        scope["state"]["as_sent"] = (method, path)
        raw = scope.get("raw_path")
        if served != path and raw and raw.endswith(b"/"):
            scope["raw_path"] = raw[:-1]
        if not head:
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, headers_only)
