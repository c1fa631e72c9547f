"""The pages' own FastAPI app: their routes, their static files, and every error answered as a page."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from emulator.events import WebSessionEnded
from emulator.ui import configuration as _configuration  # noqa: F401 - declares its routes
from emulator.ui import faxes as _faxes  # noqa: F401
from emulator.ui import mail_queue as _mail_queue  # noqa: F401
from emulator.ui import pages as _pages  # noqa: F401
from emulator.ui import phone_book as _phone_book  # noqa: F401
from emulator.ui import send as _send  # noqa: F401
from emulator.ui import users as _users  # noqa: F401
from emulator.ui.render import HERE, page_path, prefix, refused
from emulator.ui.routing import Answer, router
from emulator.ui.session import COOKIE, LoginRequired, Sessions
from emulator.wire import FFWSError

if TYPE_CHECKING:
    from emulator.box import Box

log = logging.getLogger("emulator")
STATUS_TEXT = {404: "Not Found", 405: "Method Not Allowed"}


def build(box: Box) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.box = box
    # The cookies' key: one for the box's workers (PostgreSQL), or a new one for each process (a restart logs
    # everyone out). A logout anywhere ends the session everywhere.
    cluster = box.cluster
    app.state.ui_sessions = sessions = Sessions(
        cluster.web_secret() if cluster is not None else None, cluster.logouts() if cluster is not None else ()
    )
    box.bus.subscribe(WebSessionEnded, lambda event: sessions.end(event.session_id), remote=True)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(FFWSError, _device_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Answer, _answer)
    app.add_exception_handler(Exception, _unexpected)
    return app


def error_page(request: Request, status: int, message: str) -> Response:
    """A device error on a page: the login form for credentials that no longer hold, else the refusal itself."""
    if status == 401:
        response = RedirectResponse(prefix(request) + "/login", 303)
        response.delete_cookie(COOKIE, path="/")
        return response
    return refused(request, status, message)


async def _device_error(request: Request, exc: FFWSError) -> Response:
    return error_page(request, exc.status, exc.message)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else STATUS_TEXT.get(exc.status_code, "Error")
    return error_page(request, exc.status_code, message)


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    return error_page(request, 400, f"invalid {where or 'request'}: {first.get('msg', 'not valid')}")


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    target = page_path(request) + (f"?{request.url.query}" if request.url.query else "")
    login = prefix(request) + "/login"
    response = RedirectResponse(f"{login}?next={target}" if request.method == "GET" else login, 303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def _answer(request: Request, exc: Answer) -> Response:
    return exc.response


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_page(request, 500, "internal error")
