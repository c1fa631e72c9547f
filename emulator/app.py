"""create_app(settings): the device surface under /ffws/v1 (XML) and the control plane under /_emulator (JSON)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from emulator import __version__, catalogue
from emulator.box import Box
from emulator.cluster import ClusterSync
from emulator.control.errors import ControlError, documented
from emulator.control.gate import ControlGate
from emulator.db.engine import TextWithNul
from emulator.full_disk import FullDiskMiddleware
from emulator.middleware import DeviceMiddleware
from emulator.routing import Forgiving, RouteTable
from emulator.settings import Settings
from emulator.ui.install import UI_PREFIX, RootPages, WebPages, swagger_ui
from emulator.wire import FFWSError
from emulator.wire.response import error_response

log = logging.getLogger("emulator")
CONTROL_PREFIX = "/_emulator"
DOCS_URL = f"{CONTROL_PREFIX}/docs"
STATUS_TEXT = {404: "Not Found", 405: "Method Not Allowed", 413: "Request Entity Too Large"}


def _is_control(request: Request) -> bool:
    return request.url.path.startswith(CONTROL_PREFIX)


async def _ffws_error(request: Request, exc: FFWSError) -> Response:
    request.state.error = exc.message
    return error_response(exc.status, exc.message, exc.headers)


def _allowed_methods(request: Request) -> str:
    """Every method some mounted route serves on this path (Starlette names only those of the first match)."""
    return ", ".join(sorted(request.app.state.routes.methods(request.url.path)))


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else STATUS_TEXT.get(exc.status_code, "Error")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    if _is_control(request):
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=headers)
    request.state.error = message
    return error_response(exc.status_code, message, headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    first = exc.errors()[0] if exc.errors() else {}
    location = tuple(first.get("loc", ()))
    where = ".".join(str(p) for p in location if p not in ("body", "query", "path"))
    if first.get("type") == "json_invalid":
        message = "invalid body: not valid JSON"
    elif location == ("body",):
        detail = "a JSON document is required" if first.get("type") == "missing" else first.get("msg", "not valid")
        message = f"invalid body: {detail}"
    else:
        message = f"invalid {where or 'request'}: {first.get('msg', 'not valid')}"
    if _is_control(request):
        return JSONResponse({"error": message}, status_code=400)
    request.state.error = message
    return error_response(400, message)


async def _nul_in_text(request: Request, exc: TextWithNul) -> Response:
    message = "invalid value: a NUL character is not allowed"
    if _is_control(request):
        return JSONResponse({"error": message}, status_code=400)
    request.state.error = message
    return error_response(400, message)


async def _control_error(request: Request, exc: ControlError) -> Response:
    return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    if _is_control(request):
        return JSONResponse({"error": "internal error"}, status_code=500)
    return error_response(500, "internal error")


def _mount(app: FastAPI, model: str) -> None:
    """Every catalogue route of this model, added to the app itself (an included router costs a second match per
    request). Fixed paths are tried before templated ones, so ``/verify``, the clients' probe, matches at once."""
    catalogue.load_all()
    device = catalogue.device.for_model(model)
    pages = [DOCS_URL, app.openapi_url]  # (Swagger UI is served from the package: app.docs_url is None)
    app.state.routes = RouteTable(device + catalogue.control.endpoints, pages)
    for endpoint in sorted(device, key=lambda e: "{" in e.path):
        app.add_api_route(
            endpoint.path,
            endpoint.handler,
            methods=[endpoint.method],
            status_code=endpoint.status_code,
            include_in_schema=False,
        )
    for endpoint in catalogue.control.endpoints:
        app.add_api_route(
            endpoint.path,
            endpoint.handler,
            methods=[endpoint.method],
            status_code=endpoint.status_code,
            responses=documented(endpoint.errors),
            openapi_extra=endpoint.openapi_extra(),
        )


def create_app(settings: Settings | None = None, box: Box | None = None) -> FastAPI:
    settings = settings or Settings()
    box = box or Box(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not box.ready:
            box.start()
        await box.runner.start()
        await box.mail.start()  # its task, and the fax-by-e-mail listener when there is one
        try:
            yield
        finally:
            await box.mail.stop()
            await box.runner.stop()
            box.stop()

    app = FastAPI(
        title="faxfinder-emulator control plane",
        version=__version__,
        docs_url=None,  # below: Swagger UI from the package, not from a CDN
        redoc_url=None,
        openapi_url=f"{CONTROL_PREFIX}/openapi.json",
        lifespan=lifespan,
    )
    app.state.box = box
    app.add_exception_handler(FFWSError, _ffws_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ControlError, _control_error)
    app.add_exception_handler(TextWithNul, _nul_in_text)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(RootPages)  # innermost: / and /fax-status… are the pages under /_emulator/ui
    app.add_middleware(FullDiskMiddleware)  # inside the journal's middleware, which records its 503
    app.add_middleware(DeviceMiddleware, box=box)
    app.add_middleware(ControlGate, box=box, open_paths=(DOCS_URL, app.openapi_url), open_prefix=UI_PREFIX)
    _mount(app, settings.model)
    app.add_api_route(DOCS_URL, lambda: swagger_ui(app.title, app.openapi_url), include_in_schema=False)
    app.mount(UI_PREFIX, WebPages(box))  # the web pages, built at their first request
    app.add_middleware(Forgiving, table=app.state.routes)  # outermost: the gate and the journal see the route's path
    if box.cluster is not None:
        app.add_middleware(ClusterSync, cluster=box.cluster)  # what another worker changed, seen first
    app.router.redirect_slashes = False
    app.openapi = lambda: _openapi(app)
    return app


def _openapi(app: FastAPI) -> dict:
    """FastAPI's schema, without the 422 it documents by default: this control plane answers 400 instead."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema
