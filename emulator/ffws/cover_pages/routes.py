"""Cover pages (12.1): the templates on the box."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from emulator.catalogue import device
from emulator.ffws.http import CurrentCaller, base_url, get_box
from emulator.ffws.ofax.wire import cover_page_url
from emulator.wire import el
from emulator.wire.response import xml_response


@device.route("GET", "/cover_pages", provenance="reconstructed")
def view_cover_pages(request: Request, caller: CurrentCaller) -> Response:
    """Every cover-page template on the box, sorted by name."""
    base = base_url(request)
    pages = [
        el("cover_page", [el("name", name), el("url", cover_page_url(base, name))])
        for name in get_box(request).cover_page_names()
    ]
    return xml_response("Success", pages)
