"""POST /_emulator/inbound: a fax arrives at the emulated box (it takes a line, is routed, lands in the logs)."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from emulator import documents
from emulator.catalogue import control
from emulator.control.deps import ControlBox
from emulator.control.errors import ControlError
from emulator.device.inbound import Arrival, InboundFax
from emulator.documents import worker

MAX_PAGES = 999


class InboundRequest(BaseModel):
    remote_id: str = Field("", max_length=20, description="The sender's station id (TSI)")
    caller_id: str = Field("", max_length=64, description="The calling number")
    extension: str = Field("", max_length=15, description="Dialled DID/DTMF digits (for recipient routes)")
    line: int | None = Field(None, ge=1, le=24, description="The line it arrives on (default: the first free one)")
    pages: int | None = Field(None, ge=1, le=MAX_PAGES, description="Page count (when no document is given)")
    document_base64: str | None = Field(None, description="The fax itself, PDF or TIFF, base64")
    outcome: Literal["success", "failure", "partial"] = "success"


class InboundAnswer(BaseModel):
    id: int | None = Field(description="The received fax (inbound log id); null when the caller got busy")
    line: int | None
    busy: bool
    call_id: int | None = Field(None, description="The call-log record of a busy call")


def _document(box, text: str | None) -> tuple[Path | None, int | None]:  # noqa: ANN001
    """The sender's PDF or TIFF as a PDF file in the store's incoming folder, and its page count.

    Converted in a worker process within the box's budgets (a received fax may have as many pages as a fax the box
    sends), and a PDF is written anew there: the box reads only that copy afterwards, never what the sender made."""
    if text is None:
        return None, None
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, "document_base64 is not valid base64") from None
    raw, path = box.store.incoming_file(), box.store.incoming_file()
    limits = box.settings.conversion_limits
    try:
        raw.write_bytes(data)
        del data
        return path, worker.run("convert_received", (raw, path), limits.for_pages(limits.fax_pages))
    except documents.ConversionError as exc:
        path.unlink(missing_ok=True)
        raise ControlError(400, f"document_base64: {exc}") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        raw.unlink(missing_ok=True)


def receive(box, request: InboundRequest) -> InboundAnswer:  # noqa: ANN001
    if request.line is not None and request.line > box.settings.line_count:
        raise ControlError(400, f"line must be between 1 and {box.settings.line_count}")
    pdf, doc_pages = _document(box, request.document_base64)
    arrival = Arrival(
        request.remote_id, request.caller_id, request.extension, request.line,
        doc_pages or request.pages or 1, request.outcome,
    )  # fmt: skip
    try:
        result = box.receive_fax(arrival, pdf)
    finally:
        if pdf is not None:
            pdf.unlink(missing_ok=True)
    if isinstance(result, InboundFax):
        return InboundAnswer(id=result.id, line=result.line_number, busy=False)
    return InboundAnswer(id=None, line=result.line_number or None, busy=True, call_id=result.id)


@control.route("POST", "/inbound", status_code=201)
async def simulate_inbound(request: InboundRequest, box: ControlBox) -> InboundAnswer:
    """Simulate a fax arriving: it occupies a free line for its emulated duration, is routed, is logged."""
    return await run_in_threadpool(receive, box, request)
