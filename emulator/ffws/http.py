"""What every device route needs from the request: the box, the authenticated caller, the base URL, the body."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from emulator.catalogue import device
from emulator.ffws.auth import Caller
from emulator.wire.parse import not_valid_xml

if TYPE_CHECKING:
    from emulator.box import Box


def get_box(request: Request) -> Box:
    return request.app.state.box


async def authenticated(request: Request) -> Caller:
    """The caller named by HTTP Basic credentials; 401 with a Basic challenge otherwise."""
    auth = get_box(request).auth
    header = request.headers.get("authorization")
    caller = auth.cached(header)
    if caller is None:
        caller = await run_in_threadpool(auth.verify, header)
    request.state.username = caller.username
    return caller


def base_url(request: Request) -> str:
    """``https://<Host>/ffws/v1``: the device always links with https and the name it was reached by."""
    host = request.headers.get("host") or (request.url.netloc or "localhost")
    return f"https://{host}{device.prefix}"


async def xml_body(request: Request) -> bytes:
    body = await request.body()
    if not body.strip():
        raise not_valid_xml("the document is empty")
    return body


CurrentCaller = Annotated[Caller, Depends(authenticated)]
XmlBody = Annotated[bytes, Depends(xml_body)]


def global_list_open(request: Request) -> bool:
    """May non-admins write the global phone book (device setting global_contacts_status)?"""
    box = get_box(request)
    with box.db.read() as session:
        return box.global_list_open(session)


GlobalListOpen = Annotated[bool, Depends(global_list_open)]
