"""HTTP answers of the device: the XML envelope with ``content-type: application/xml``."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import Response

from emulator.wire import dialect
from emulator.wire.write import Elem, envelope

MEDIA_TYPE = "application/xml"


def xml_response(message: str, elements: Iterable[Elem] = (), status: int = 200) -> Response:
    return Response(envelope(message, elements), status_code=status, media_type=MEDIA_TYPE)


def empty_response(status: int) -> Response:
    """Abort and reschedule answer ``202`` with the content type and no body."""
    return Response(b"", status_code=status, media_type=MEDIA_TYPE)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = envelope(message, blank_line=dialect.current().error_blank_line)
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)
