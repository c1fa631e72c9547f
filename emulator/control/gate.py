"""The door of the control plane, at the ASGI level so that it runs before anything reads a body.

Browsers first. A request a browser sends (it says so: ``Sec-Fetch-Site`` or ``Origin``) for the control plane or the
web pages must name the box by a host it answers to as a web page (``--allowed-hosts``; localhost and IP addresses
always): a page of another site whose name was pointed at this address (DNS rebinding) would otherwise be the box's
own origin to the browser. And the control plane takes no request that another site made a browser send (a form
posted to /_emulator/reset, a fetch of the journal): ``Sec-Fetch-Site`` other than same-origin or none, or an
``Origin`` other than the box's own, is refused with 403; following a link to one of its pages (a navigation) is
fine. Clients that are not browsers (the CLI, the pytest plugin, curl) send neither header and pass.

The token is checked on the headers alone: a caller without the right ``X-Emulator-Token`` gets its ``401`` before
one byte of its body is read. Then the body is read up to its cap (``--control-max-body``), refused with ``413`` as
soon as the ``Content-Length`` or the bytes received so far pass it, and only a body within the cap reaches the app,
which parses it. The snapshot import has its own, larger cap (``--snapshot-max-body``): the gate refuses a
``Content-Length`` beyond it, and its route, which streams the body to disk, refuses the bytes that pass it. FastAPI
would otherwise read the whole body (to parse it) before any dependency, the token check included, could run.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.catalogue import control

if TYPE_CHECKING:
    from emulator.box import Box
    from emulator.settings import Settings

REFUSED = "missing or wrong X-Emulator-Token"
CROSS_SITE = "cross-site request refused: the control plane answers only the box's own pages and non-browser clients"
SNAPSHOT_IMPORT = ("POST", control.prefix + "/state/import")
DEVICE_PREFIX = "/ffws/"  # the device's API: its clients are programs, and its door is Basic auth
CONTROL_CAP, SNAPSHOT_CAP = "FFEMU_CONTROL_MAX_BODY", "FFEMU_SNAPSHOT_MAX_BODY"


def token_matches(scope: Scope, token: str) -> bool:
    """The first X-Emulator-Token header, compared in constant time with the token (UTF-8, as clients send it)."""
    given = next((value for name, value in scope.get("headers", ()) if name == b"x-emulator-token"), b"")
    return hmac.compare_digest(given, token.encode())


def header(scope: Scope, name: bytes) -> str | None:
    """The first header ``name`` (lower case) of the request, decoded; None when it has none."""
    value = next((value for key, value in scope.get("headers", ()) if key == name), None)
    return value.decode("latin-1") if value is not None else None


def own_origins(scope: Scope, settings: Settings) -> frozenset[str]:
    """The origins the box's own pages have for this request: the scheme and host it came by (uvicorn takes the
    scheme from X-Forwarded-Proto of a proxy it trusts), and ``--public-url``'s (a TLS-terminating proxy's)."""
    origins = set()
    host = header(scope, b"host")
    if host:
        origins.add(f"{scope.get('scheme', 'http')}://{host.lower()}")
    if settings.public_url:
        public = urlsplit(settings.public_url)
        origins.add(f"{public.scheme}://{public.netloc.lower()}")
    return frozenset(origins)


def _host_name(host: str) -> str:
    """``name:8080`` -> ``name``; ``[::1]:8080`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str, settings: Settings) -> bool:
    """Whether a browser may reach the box's pages by the name ``host`` (a Host header)."""
    name = _host_name(host)
    try:
        ipaddress.ip_address(name)
        return True  # an address is no name that another site's DNS could point here
    except ValueError:
        pass
    if name == "localhost" or name.endswith(".localhost") or name == settings.host.lower():
        return True
    if settings.public_url and name == (urlsplit(settings.public_url).hostname or "").lower():
        return True
    for allowed in (part.strip().lower() for part in settings.allowed_hosts.split(",")):
        if allowed == "*" or name == allowed.rstrip(".") or (allowed.startswith(".") and name.endswith(allowed)):
            return True
    return False


def from_browser(scope: Scope) -> bool:
    return header(scope, b"sec-fetch-site") is not None or header(scope, b"origin") is not None


def cross_site(scope: Scope, settings: Settings) -> bool:
    """Whether a browser sent this request for a page of another site (a link followed to it is not)."""
    site = header(scope, b"sec-fetch-site")
    navigation = scope["method"] in ("GET", "HEAD") and header(scope, b"sec-fetch-mode") == "navigate"
    if site is not None and site not in ("same-origin", "none") and not navigation:
        return True
    origin = header(scope, b"origin")
    return origin is not None and origin.lower() not in own_origins(scope, settings)


def host_refused(host: str | None) -> str:
    return (
        f"host {host or '(none)'} is not one this box answers browsers by: add it to --allowed-hosts "
        "(FFEMU_ALLOWED_HOSTS), or open the box by its address"
    )


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
        if scope["type"] != "http" or scope["path"].startswith(DEVICE_PREFIX):
            await self.app(scope, receive, send)
            return
        settings = self.box.settings
        if from_browser(scope) and not host_allowed(header(scope, b"host") or "", settings):
            await _refuse(403, host_refused(header(scope, b"host")), scope, receive, send)
            return
        path = scope["path"]
        if not path.startswith(control.prefix):  # the web pages at the root (/, /fax-status…)
            await self.app(scope, receive, send)
            return
        page = bool(self.open_prefix) and (path == self.open_prefix or path.startswith(self.open_prefix + "/"))
        if not page and cross_site(scope, settings):  # (the pages check their forms' origin and token themselves)
            await _refuse(403, CROSS_SITE, scope, receive, send)
            return
        token = settings.control_token
        is_open = (scope["method"] in ("GET", "HEAD") and path in self.open_paths) or page
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
