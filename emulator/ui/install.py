"""Mounting the web pages on the app: the router at / and under /_emulator/ui, the static files, the offline
Swagger UI, and the answers for errors of a page."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from emulator.ui import admin as _admin  # noqa: F401 - declares its routes
from emulator.ui import faxes as _faxes  # noqa: F401
from emulator.ui import pages as _pages  # noqa: F401
from emulator.ui.render import HERE, STATIC, UI_PREFIX, prefix, refused
from emulator.ui.routing import Answer, router
from emulator.ui.session import COOKIE, LoginRequired, Sessions

SWAGGER = STATIC + "/swagger-ui"


def install(app: FastAPI, docs_url: str, openapi_url: str) -> None:
    app.state.ui_sessions = Sessions()
    app.include_router(router, prefix=UI_PREFIX)
    app.include_router(router)
    app.mount(STATIC, StaticFiles(directory=HERE / "static"), name="ui-static")

    @app.get(docs_url, include_in_schema=False)
    def swagger_ui() -> Response:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=app.title + " - Swagger UI",
            swagger_js_url=SWAGGER + "/swagger-ui-bundle.js",
            swagger_css_url=SWAGGER + "/swagger-ui.css",
            swagger_favicon_url=SWAGGER + "/favicon-32x32.png",
        )

    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Answer, _answer)


def is_page(request: Request) -> bool:
    return getattr(request.state, "ui", False)


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    ui = prefix(request)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"{ui}/login?next={target}" if request.method == "GET" else f"{ui}/login", 303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def _answer(request: Request, exc: Answer) -> Response:
    return exc.response


def error_page(request: Request, status: int, message: str) -> Response:
    """A device error on a page: the login form for credentials that no longer hold, else the refusal itself."""
    if status == 401:
        return RedirectResponse(
            prefix(request) + "/login", 303, headers={"set-cookie": f"{COOKIE}=; Max-Age=0; Path=/"}
        )
    return refused(request, status, message)
