"""Request bodies of the public FaxFinder clients (13-client-contract R1–R13) and document builders for fax tests.

Everything is generated: no binary test data is committed. ``schedule_body`` writes a ``schedule_fax`` the way the
guide does; the ``SHAPES`` reproduce, byte for byte in spirit, what each real client sends.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

from lxml import etree
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

from tests.documents_builders import big_pdf_bytes as big_pdf_bytes  # shared with tests/documents

BASE = "https://faxfinder.test/ffws/v1"
OFAX = "/ffws/v1/ofax"
ENTRY_URL_TAIL = r"[0-9A-F]+/[0-9A-F]+$"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


# -- documents -----------------------------------------------------------------------------------------------------
def pdf_bytes(pages: int, label: str = "Page") -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, invariant=1)
    for number in range(1, pages + 1):
        canvas.drawString(72, 700, f"{label} {number}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def text_bytes(lines: int) -> bytes:
    return "".join(f"line {n}\n" for n in range(1, lines + 1)).encode()


def image_bytes(fmt: str, frames: int = 1) -> bytes:
    images = []
    for index in range(frames):
        image = Image.new("L", (170, 220), "white")
        ImageDraw.Draw(image).rectangle((10, 10, 160, 210 - index), outline="black", width=3)
        images.append(image)
    buffer = io.BytesIO()
    extra = {"save_all": True, "append_images": images[1:]} if frames > 1 else {}
    images[0].save(buffer, format=fmt, **extra)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- schedule_fax bodies -------------------------------------------------------------------------------------------
def element(tag: str, value: object = "") -> str:
    if isinstance(value, list):
        return f"<{tag}>" + "".join(value) + f"</{tag}>"
    if value is None:
        return f"<{tag}/>"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return f"<{tag}>{escape(text)}</{tag}>"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def party(**fields: object) -> list[str]:
    return [element(k, v) for k, v in fields.items()]


def recipient(fax_number: str = "218-555-3335", name: str = "Rcpt 1 Name", **fields: object) -> str:
    return element("recipient", party(name=name, fax_number=fax_number, **fields))


def attachment(
    data: bytes = b"test",
    content_type: str | None = "text/plain",
    name: str | None = "attachment1.txt",
    *,
    encoded: str | None = None,
) -> str:
    children = [element("location", "inline")]
    if name is not None:
        children.append(element("name", name))
    if content_type is not None:
        children.append(element("content_type", content_type))
    children.append(element("content_transfer_encoding", "base64"))
    children.append(element("content", b64(data) if encoded is None else encoded))
    return element("attachment", children)


def pdf_attachment(pages: int, name: str = "doc.pdf") -> str:
    return attachment(pdf_bytes(pages), "application/pdf", name)


def external(url: str, content_type: str | None = None, name: str = "remote.pdf") -> str:
    children = [element("location", "external"), element("name", name), element("url", url)]
    if content_type is not None:
        children.append(element("content_type", content_type))
    return element("attachment", children)


def cover(enabled: bool = True, name: str = "default.pdf", subject: str = "", comments: str = "") -> str:
    children = [element("enabled", enabled)]
    if enabled:
        children.insert(0, element("url", f"https://anyhost/ffws/v1/data/cover_pages/{name}"))
    return element("cover_page", [*children, element("subject", subject), element("comments", comments)])


NO_COVER = cover(enabled=False)


def schedule_body(
    *parts: str,
    recipients: list[str] | None = None,
    attachments: list[str] | None = None,
    cover_page: str | None = NO_COVER,
    declaration: str = DECLARATION,
    **options: object,
) -> str:
    """A schedule_fax: cover page (no cover by default), recipients, attachments, then the options as given."""
    children = [cover_page] if cover_page is not None else []
    children += recipients if recipients is not None else [recipient()]
    children += attachments if attachments is not None else [attachment()]
    children += [element(k, v) for k, v in options.items()]
    children += parts
    return declaration + element("schedule_fax", children)


def fax_to(number: str, *, pages: int = 1, **options: object) -> str:
    """One recipient, one PDF of ``pages`` pages, no cover page."""
    return schedule_body(recipients=[recipient(number)], attachments=[pdf_attachment(pages)], **options)


# The guide's example request (01-faxing §1.1), with the guide's values.
GUIDE_EXAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<schedule_fax>
  <cover_page><url>https://192.168.2.1/ffws/v1/data/cover_pages/default.pdf</url>
    <enabled>true</enabled><subject>Test Subject</subject><comments>Test Message</comments></cover_page>
  <sender><name>Sender Name</name><organization>Sender Org</organization>
    <phone_number>218-555-3333</phone_number><fax_number>218-555-3334</fax_number></sender>
  <recipient><name>Rcpt 1 Name</name><organization>Rcpt 1 Org</organization>
    <fax_number>218-555-3335</fax_number><phone_number>218-555-3336</phone_number></recipient>
  <attachment><location>inline</location><name>attachment1.txt</name>
    <content_type>text/plain</content_type><content_transfer_encoding>base64</content_transfer_encoding>
    <content>dGVzdA==</content></attachment>
  <max_tries>3</max_tries><priority>3</priority><try_interval>30</try_interval>
  <receipt>failure</receipt><receipt_attachment>none</receipt_attachment>
  <schedule_all_at>2008-08-07T20:30:00</schedule_all_at>
</schedule_fax>
"""


@dataclass(frozen=True)
class Shape:
    """One request shape of a real client: body, headers, path and what the entry must show afterwards."""

    body: str | bytes
    headers: dict[str, str]
    expect: dict[str, str]  # fax_entry child path -> text
    path: str = OFAX
    pages: int | None = None  # pages after preprocessing, when the shape decides it


def _shapes() -> dict[str, Shape]:
    xml = {"content-type": "application/xml"}
    text_xml = {"content-type": "text/xml"}
    pdf2 = b64(pdf_bytes(2))
    wrapped = "\n".join(pdf2[i : i + 76] for i in range(0, len(pdf2), 76))
    spaced = " ".join(pdf2[i : i + 64] for i in range(0, len(pdf2), 64))
    guide_defaults = {"max_tries": "3", "priority": "3", "try_interval": "300", "receipt": "failure"}
    return {
        "R1 trailing slash": Shape(schedule_body(), xml, {"recipient/fax_number": "218-555-3335"}, path=OFAX + "/"),
        "R3 no content type": Shape(schedule_body(), {}, {"state": "preprocessing"}),
        "R3 text/xml": Shape(schedule_body(), text_xml, {"state": "preprocessing"}),
        "R4 single-quoted declaration, CRLF": Shape(
            schedule_body(declaration="<?xml version='1.0' encoding='UTF-8'?>\r\n").replace("><", ">\r\n<"),
            xml,
            {"state": "preprocessing"},
        ),
        "R4 no declaration, one line": Shape(schedule_body(declaration=""), xml, {"state": "preprocessing"}),
        "R4 indented 4, trailing newline": Shape(
            etree.tostring(etree.fromstring(schedule_body(declaration="")), pretty_print=True)
            .decode()
            .replace("  ", "    "),
            xml,
            {"state": "preprocessing"},
        ),
        "R5 options before cover_page": Shape(
            DECLARATION
            + element(
                "schedule_fax",
                [
                    element("max_tries", 17),
                    element("priority", 1),
                    element("try_interval", 23),
                    element("receipt", "always"),
                    element("receipt_attachment", "pdf"),
                    element("attachment", [element("content", b64(b"hi")), element("content_type", "text/plain")]),
                    element("recipient", [element("fax_number", "5551234"), element("name", "Bob")]),
                    cover(subject="Hello"),
                ],
            ),
            xml,
            {
                "max_tries": "17",
                "priority": "1",
                "try_interval": "23",
                "receipt": "always",
                "receipt_attachment": "pdf",
                "recipient/fax_number": "5551234",
                "cover_page/subject": "Hello",
                "cover_page/enabled": "true",
            },
            pages=2,
        ),
        "R6 unknown children": Shape(
            schedule_body(
                element("comment", "ignored"),
                attachments=[attachment().replace("<location>", "<attachment_name>a.txt</attachment_name><location>")],
                cover_page=element("cover_page", [element("enabled", False), element("comment", "x")]),
            ),
            xml,
            {"cover_page/enabled": "false", "cover_page/url": ""},
        ),
        "R7 self-closing empties use the defaults": Shape(
            schedule_body(
                max_tries=None,
                priority=None,
                try_interval=None,
                receipt=None,
                receipt_attachment=None,
                schedule_all_at=None,
            ),
            xml,
            {**guide_defaults, "receipt_attachment": "pdf", "stime": "2026-01-01T00:00:00"},
        ),
        "R7 open-close empties use the defaults": Shape(
            schedule_body(
                max_tries="", priority="", try_interval="", receipt="", receipt_attachment="", schedule_all_at=""
            ),
            xml,
            {**guide_defaults, "receipt_attachment": "pdf"},
        ),
        "R9 base64 with newlines, Windows path, name mismatch": Shape(
            schedule_body(
                attachments=[
                    attachment(
                        encoded=wrapped,
                        content_type="application/pdf",
                        name="C:\\Documents and Settings\\me\\report.doc",
                    )
                ]
            ),
            xml,
            {"state": "preprocessing"},
            pages=2,
        ),
        "R9 base64 with spaces": Shape(
            schedule_body(attachments=[attachment(encoded=spaced, content_type="application/pdf", name="x.pdf")]),
            xml,
            {"state": "preprocessing"},
            pages=2,
        ),
        "R10 cover with subject and multi-line comments": Shape(
            schedule_body(cover_page=cover(subject="Quarterly", comments="line one\nline two\r\nline three")),
            xml,
            {
                "cover_page/enabled": "true",
                "cover_page/url": f"{BASE}/data/cover_pages/default.pdf",
                "cover_page/subject": "Quarterly",
                "cover_page/comments": "line one\nline two\nline three",
            },
            pages=2,
        ),
        "R10 cover absent: the user's default (disabled)": Shape(
            schedule_body(cover_page=None), xml, {"cover_page/enabled": "false", "cover_page/url": ""}, pages=1
        ),
        "R11 1 + 10 digits, never, none, schedule_all_at": Shape(
            schedule_body(
                recipients=[recipient("12185553335")],
                receipt="never",
                receipt_attachment="none",
                priority=0,
                max_tries=1,
                try_interval=5,
                schedule_all_at="2026-01-01T06:30:00",
            ),
            xml,
            {
                "recipient/fax_number": "12185553335",
                "receipt": "never",
                "receipt_attachment": "none",
                "priority": "0",
                "max_tries": "1",
                "try_interval": "5",
                "stime": "2026-01-01T06:30:00",
            },
        ),
        "R11 91 + number, dash first": Shape(
            schedule_body(
                recipients=[recipient("912185553335"), recipient("-218-555-3335")], priority=5, try_interval=333
            ),
            xml,
            {"recipient/fax_number": "912185553335", "priority": "5", "try_interval": "333"},
        ),
    }


SHAPES = _shapes()


# -- reading answers -----------------------------------------------------------------------------------------------
def entries_of(response) -> list[etree._Element]:  # noqa: ANN001
    return etree.fromstring(response.content).findall("fax_entry")


def fields_of(entry: etree._Element) -> dict[str, str]:
    """Every leaf of a fax_entry as {"path/child": text}."""
    return {entry.getroottree().getelementpath(e).split("/", 1)[-1]: e.text or "" for e in entry.iter() if len(e) == 0}


def at(seconds: int) -> str:
    """The emulated time ``seconds`` after the manual clock's start (2026-01-01T00:00:00), as the device writes it."""
    return f"2026-01-01T{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# -- driving the box ------------------------------------------------------------------------------------------------
def advance(client, seconds: float) -> None:  # noqa: ANN001
    response = client.post("/_emulator/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text


def schedule(client, body: str | bytes, **kwargs: object) -> list[etree._Element]:  # noqa: ANN001
    """POST a schedule_fax that must be accepted; the new entries."""
    response = client.post(OFAX, body, **kwargs)
    assert response.status_code == 201, response.text
    return entries_of(response)


def view(client, key: str, **params: object) -> dict[str, str]:  # noqa: ANN001
    """The fields of one entry, ``key`` = FAXKEY/ENTRYKEY."""
    response = client.get(f"{OFAX}/{key}", params=params)
    assert response.status_code == 200, response.text
    (entry,) = entries_of(response)
    return fields_of(entry)


# -- a document server for external attachments --------------------------------------------------------------------
@contextmanager
def document_server(documents: dict[str, tuple[bytes, str | None]], seen: list[str] | None = None) -> Iterator[str]:
    """Serve ``{path: (bytes, content type)}`` on 127.0.0.1 (404 for anything else); yields the base URL.
    The paths asked for are appended to ``seen``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if seen is not None:
                seen.append(self.path)
            found = documents.get(self.path)
            if found is None:
                self.send_error(404)
                return
            data, content_type = found
            self.send_response(200)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with http_server(Handler) as base:
        yield base


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve with ``handler`` on a free port of 127.0.0.1 in a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def create_user(client, username: str, password: str = "secret", **fields: object) -> tuple[str, str]:  # noqa: ANN001
    """A user made by the admin with POST /users; its credentials."""
    body = element("user", party(name=f"User {username}", username=username, password=password, **fields))
    response = client.post("/ffws/v1/users", body, headers={"content-type": "application/xml"})
    assert response.status_code == 200, response.text
    return username, password
