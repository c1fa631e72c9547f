"""Taking in a ``schedule_fax``: the body is spooled to disk while it arrives (capped by the model's request size),
parsed with attachment content decoded straight into files, so a 36 MB request is never held several times in
memory. External attachments are fetched by ``fetch``."""

from __future__ import annotations

import base64
import binascii
import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from anyio import to_thread
from starlette.requests import Request

from emulator.wire import XNode, parse_xml
from emulator.wire.tolerance import Shape

SPOOL_IN_MEMORY = 1024 * 1024
DECODE_CHUNK = 4 * 1024 * 1024  # characters of base64 decoded at a time


async def spool_body(request: Request) -> IO[bytes]:
    """The request body in a temporary file (in memory while small). The middleware has already capped its size
    (413 while reading), so a refused body never reaches the disk. Writing to the disk happens in a worker thread,
    a megabyte at a time, never on the event loop."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - handed to the caller
    pending: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            pending.append(chunk)
            size += len(chunk)
            if size >= SPOOL_IN_MEMORY:
                await to_thread.run_sync(spool.write, b"".join(pending))
                pending, size = [], 0
        if pending:
            data = b"".join(pending)
            if spool._rolled or spool.tell() + len(data) > SPOOL_IN_MEMORY:  # noqa: SLF001 - on disk by now
                await to_thread.run_sync(spool.write, data)
            else:
                spool.write(data)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


@dataclass
class Blob:
    """An attachment's bytes, stored in a file; ``error`` says why they could not be decoded or fetched."""

    path: Path
    size: int = 0
    sha256: str = ""
    error: str = ""
    content_type: str = ""  # as announced by the server of an external attachment

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class Blobs:
    """Every blob made while taking in one request, so that a refused request leaves no file behind."""

    new_file: object
    made: list[Blob] = field(default_factory=list)

    def create(self) -> Blob:
        blob = Blob(self.new_file())  # type: ignore[operator]
        self.made.append(blob)
        return blob

    def discard(self) -> None:
        for blob in self.made:
            blob.discard()


def decode_base64_into(text: str, blob: Blob) -> Blob:
    """Decode base64 (white space anywhere tolerated) into the blob's file, chunk by chunk."""
    digest = hashlib.sha256()
    carry = ""
    with blob.path.open("wb") as out:
        try:
            for start in range(0, len(text), DECODE_CHUNK):
                chunk = carry + "".join(text[start : start + DECODE_CHUNK].split())
                usable = len(chunk) - len(chunk) % 4
                data = base64.b64decode(chunk[:usable], validate=True)
                carry = chunk[usable:]
                out.write(data)
                digest.update(data)
                blob.size += len(data)
            if carry:
                raise binascii.Error("incomplete final group")
        except (binascii.Error, ValueError):
            blob.error = "invalid base64 content"
    blob.sha256 = digest.hexdigest()
    return blob


def parse_schedule_fax(body: IO[bytes], blobs: Blobs, shape: Shape) -> XNode:
    """Parse the body; each ``content`` element's text goes into a blob (node.ref) instead of the tree."""

    def content_sink(text: str) -> Blob:
        return decode_base64_into(text, blobs.create())

    return parse_xml(body, root="schedule_fax", sinks={"content": content_sink}, huge=True, shape=shape)
