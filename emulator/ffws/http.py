"""What every device route needs from the request: the box, the authenticated caller, its unit of work, the base
URL, the body."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from emulator.catalogue import device
from emulator.db.work import UnitOfWork
from emulator.device import config
from emulator.ffws.auth import Authenticator, Caller, unauthorized
from emulator.wire.parse import not_valid_xml
from emulator.wire.tolerance import closest, tolerated

if TYPE_CHECKING:
    from emulator.box import Box


def get_box(request: Request) -> Box:
    return request.app.state.box


async def verified(auth: Authenticator, header: str | None) -> Caller:
    """The caller of these Basic credentials (cached, or checked against the database); 401 otherwise."""
    caller = auth.cached(header)
    if caller is None:
        # A few Argon2 verifications at a time (each takes ~19 MiB for its run): a flood of wrong passwords waits
        # its turn instead of taking every worker thread and hundreds of megabytes.
        caller = await anyio.to_thread.run_sync(auth.verify, header, limiter=limiter("verify", VERIFIERS))
    return caller


async def authenticated(request: Request) -> Caller:
    """The caller named by HTTP Basic credentials; 401 with a Basic challenge otherwise."""
    caller = await verified(get_box(request).auth, request.headers.get("authorization"))
    request.state.username = caller.username
    request.state.caller = caller
    _note_head(request)
    return caller


XML_TYPES = frozenset({"application/xml", "text/xml"})


def _note_head(request: Request) -> None:
    """What the request line and head carry that a careful client would not send (notes of tolerance.py; in strict
    mode the first is a 400). Checked once the caller is known, so that a client without credentials gets its 401
    challenge first; the body's own mistakes are noted while it is read."""
    known = device.params_of.get(request.scope.get("endpoint"), ())
    for name in dict.fromkeys(request.query_params.keys()):
        if not name:
            tolerated("a query parameter without a name")
        elif name not in known:
            hint = closest(name, known)
            tolerated(f"unknown query parameter {name}" + (f" (did you mean {hint}?)" if hint else ""))
        elif len(request.query_params.getlist(name)) > 1:
            tolerated(f"query parameter {name} given {len(request.query_params.getlist(name))} times: one is read")
    headers = request.headers
    if headers.get("content-length", "0").strip() in ("", "0") and "transfer-encoding" not in headers:
        return
    declared = headers.get("content-type")
    if declared is None:
        tolerated("no Content-Type on a request with a body (send application/xml)")
    elif declared.split(";")[0].strip().lower() not in XML_TYPES:
        tolerated(f"Content-Type {declared} is not XML (send application/xml)")


READING_METHODS = frozenset({"GET", "HEAD"})


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's one unit of work: a read for GET, otherwise a write under the queue's lock. It commits when the
    route returns (before the answer is sent), rolls back when it raises, and then publishes its events. The
    caller's credentials must still hold once its transaction is open (the route's ``CurrentCaller`` has been
    resolved by then: the session opens in the route's body)."""
    box = get_box(request)

    def guard(session: Session) -> None:
        caller = getattr(request.state, "caller", None)
        if caller is None:  # a route that never authenticated has no business with the box's data
            raise unauthorized()
        box.auth.require_current(caller, session)

    work = box.work(write=request.method not in READING_METHODS, guard=guard)
    try:
        yield work
    except BaseException as exc:
        await _finish(work, exc)
        raise
    await _finish(work, None)


# Finishing has worker threads of its own: a writer holding the queue's lock must always be able to commit and
# release it, even when every thread of the shared pool is taken by requests waiting for that lock.
FINISHERS = 8


VERIFIERS = 4


async def _finish(work: UnitOfWork, error: BaseException | None) -> None:
    if not work.opened:
        work.finish(error)  # nothing to commit: no thread needed
        return
    with anyio.CancelScope(shield=True):  # a client that hangs up must not leave the queue's lock taken
        await anyio.to_thread.run_sync(work.finish, error, limiter=limiter("finish", FINISHERS))


_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, anyio.CapacityLimiter]] = (
    weakref.WeakKeyDictionary()
)


def limiter(name: str, tokens: int) -> anyio.CapacityLimiter:
    """The running event loop's limiter ``name`` (a limiter belongs to one loop): at most ``tokens`` threads of the
    shared pool doing that at once."""
    mine = _limiters.setdefault(asyncio.get_running_loop(), {})
    if name not in mine:
        mine[name] = anyio.CapacityLimiter(tokens)
    return mine[name]


def base_url(request: Request) -> str:
    """The base of every link in an answer. ``--public-url`` when given; with ``--links device``, the device's own
    form (``https://`` and the name it was reached by, no port); by default a link the client can follow: the
    address it used when it came over HTTPS, the HTTPS port when it came over plain HTTP and HTTPS is on, and
    ``http://`` with its port when the box serves no HTTPS."""
    box = get_box(request)
    settings = box.settings
    if settings.public_url:
        return settings.public_url + device.prefix
    host = request.headers.get("host") or (request.url.netloc or "localhost")
    if (settings.links or box.firmware.links) == "device":
        return f"https://{_without_port(host)}{device.prefix}"
    if request.url.scheme == "https":
        return f"https://{host}{device.prefix}"
    if box.tls_port:
        port = "" if box.tls_port == 443 else f":{box.tls_port}"
        return f"https://{_without_port(host)}{port}{device.prefix}"
    return f"http://{host}{device.prefix}"


def _without_port(host: str) -> str:
    """``name:8080`` → ``name``; ``[::1]:8080`` → ``[::1]``."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def xml_body(request: Request) -> bytes:
    body = await request.body()
    if not body.strip():
        raise not_valid_xml("the document is empty")
    return body


CurrentCaller = Annotated[Caller, Depends(authenticated)]
Work = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
XmlBody = Annotated[bytes, Depends(xml_body)]


def global_list_open(request: Request) -> bool:
    """May non-admins write the global phone book (device setting global_contacts_status)? Read before the body
    is parsed, so a stranger gets its 403 first."""
    box = get_box(request)
    with box.db.read() as session:
        return config.global_list_open(session)


GlobalListOpen = Annotated[bool, Depends(global_list_open)]
