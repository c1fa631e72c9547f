"""Mounting the web pages: an app of their own under /_emulator/ui, built at the first request of a page (so a start
that serves only the API pays nothing for them), the root paths that are pages, and the offline Swagger UI."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.ui.render import ROOT_ALIAS, STATIC, UI_PREFIX

if TYPE_CHECKING:
    from emulator.box import Box

__all__ = ["UI_PREFIX", "RootPages", "WebPages", "swagger_ui"]
log = logging.getLogger("emulator")
SWAGGER = STATIC + "/swagger-ui"
# The first path segments that are pages at the root as well (/ itself is Fax Status).
ROOT_PAGES = frozenset(
    {"", "login", "logout", "fax-status", "fragments", "faxes", "inbound", "send", "logs", "users", "phone-book",
     "inbound-routing", "fax-configuration", "system", "mail-queue", "events", "emulator"}
)  # fmt: skip


def swagger_ui(title: str, openapi_url: str) -> Response:
    return get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title + " - Swagger UI",
        swagger_js_url=SWAGGER + "/swagger-ui-bundle.js",
        swagger_css_url=SWAGGER + "/swagger-ui.css",
        swagger_favicon_url=SWAGGER + "/favicon-32x32.png",
    )


class RootPages:
    """The pages at the root (/, /fax-status…) are the ones under /_emulator/ui: their path is rewritten, and the
    request remembers it came by the root, so that its links stay there. Any other path passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == UI_PREFIX:  # the pages' home without its slash
                scope = {**scope, "path": UI_PREFIX + "/", "raw_path": UI_PREFIX.encode() + b"/"}
            elif not path.startswith(("/ffws/", "/_emulator")) and path.split("/", 2)[1] in ROOT_PAGES:
                raw = scope.get("raw_path") or path.encode()
                scope = {**scope, "path": UI_PREFIX + path, "raw_path": UI_PREFIX.encode() + raw, ROOT_ALIAS: True}
        await self.app(scope, receive, send)


class WebPages:
    """The pages' app, made when first asked for."""

    def __init__(self, box: Box) -> None:
        self.box = box
        self._app: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            from emulator.ui.app import build

            self._app = build(self.box)
        await self._app(scope, receive, send)
