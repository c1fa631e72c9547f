"""Pages as HTML: one Jinja2 environment over the package's templates, the context every page shares, and the
answers for refusals and errors."""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Request
from starlette.responses import HTMLResponse

from emulator import __version__
from emulator.wire.times import format_time

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

HERE = Path(__file__).parent
UI_PREFIX = "/_emulator/ui"
FLASH_COOKIE = "ffemu_done"  # what a form did, for the page it leads to (emulator.ui.routing.back_to)
STATIC = UI_PREFIX + "/static"
ROOT_ALIAS = "faxfinder_emulator.root_page"  # set on a request that came by a root path (/fax-status)
# Nothing a page loads comes from elsewhere, and no page can be framed by another site.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}
# The attested menus of the FaxFinder's web pages (and our own Emulator panel); admin: shown to administrators only.
MENU = (
    ("fax-status", "Fax Status", False),
    ("send", "Send Fax", False),
    ("logs", "Status & Logs", False),
    ("users", "Users", False),
    ("phone-book", "Phone book", False),
    ("inbound-routing", "Inbound Routing", True),
    ("fax-configuration", "Fax Configuration", True),
    ("system", "System Configuration", True),
    ("mail-queue", "Mail Queue", True),
)


def entry_key(entry: Any) -> str:
    """``FAXKEY/ENTRYKEY`` of a fax entry, as its pages' paths name it."""
    return f"{entry.fax_id:08X}/{entry.number:04X}"


def _box_time(zone: ZoneInfo, value: datetime | None) -> str:
    return format_time(value, zone) if value else ""


@cache
def environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(static=STATIC, version=__version__, menu=MENU, entry_key=entry_key)
    return env


def prefix(request: Request) -> str:
    """Where the pages are for this request: at the root, or under /_emulator/ui."""
    return "" if request.scope.get(ROOT_ALIAS) else UI_PREFIX


def page_path(request: Request) -> str:
    """The path of this page as the browser asked for it."""
    return prefix(request) + request.scope["path"].removeprefix(UI_PREFIX)


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    box = request.app.state.box  # (this module is loaded at start-up: nothing of the device surface here)
    caller = getattr(request.state, "caller", None)
    shared = {
        "ui": prefix(request),
        "caller": caller,
        "csrf": getattr(request.state, "csrf", ""),
        "model": box.settings.model,
        "line_word": "Channel" if box.profile.is_ip else "Modem",
        "now": format_time(box.clock.now(), box.zone),
        "path": page_path(request),
        "time": partial(_box_time, box.zone),  # the box's times as the device writes them
    }
    flash = request.cookies.get(FLASH_COOKIE) if not template.startswith("_") else None  # (a whole page says it)
    if flash is not None:
        context.setdefault("done", request.app.state.ui_sessions.flashed(flash))
    html = environment().get_template(template).render(**shared, **context)
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")  # said once
    return response


def refused(request: Request, status: int, message: str) -> HTMLResponse:
    """A device refusal or error, as a page (the same status and message the API gives)."""
    return page(request, "refused.html", status=status, status_code=status, message=message)
