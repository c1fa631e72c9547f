"""A received fax in a real Mailpit inbox, with its PDF: run when a ``mailpit`` binary is on the PATH (or named by
FFEMU_MAILPIT); Mailpit is a Go program that no package registry this project installs from carries, so elsewhere
this test says why it skips (the aiosmtpd server of the other mail tests stands in for it)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import real_server
from tests.ffws.clients import pdf_bytes
from tests.mail.sink import free_port, wait_until

MAILPIT = os.environ.get("FFEMU_MAILPIT") or shutil.which("mailpit")


@pytest.fixture(scope="module")
def mailpit() -> Iterator[tuple[int, str]]:
    if MAILPIT is None:
        pytest.skip("no mailpit binary on the PATH (nor FFEMU_MAILPIT): Mailpit is not installable here")
    smtp, web = free_port(), free_port()
    process = subprocess.Popen(
        [MAILPIT, "--smtp", f"127.0.0.1:{smtp}", "--listen", f"127.0.0.1:{web}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        api = f"http://127.0.0.1:{web}/api/v1"
        wait_until(lambda: _up(api), what="Mailpit's start")
        yield smtp, api
    finally:
        process.terminate()
        process.wait(timeout=10)


def _up(api: str) -> bool:
    try:
        return httpx.get(f"{api}/messages", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_received_fax_arrives_in_a_mailpit_inbox_with_its_pdf(mailpit, tmp_path):
    smtp, api = mailpit
    server = real_server(tmp_path / "box", smtp_url=f"smtp://127.0.0.1:{smtp}")
    server.start()
    box = server.handle()
    try:
        body = "<user><email_address>frontdesk@example.com</email_address></user>"
        assert httpx.put(f"{box.url}/users/admin", content=body, auth=box.auth).status_code == 200
        fax = box.inbound(remote_id="SUPPLIER", document_base64=base64.b64encode(pdf_bytes(2)).decode())
        box.advance(600)
        listed = wait_until(lambda: httpx.get(f"{api}/messages").json()["messages"], what="the mail in Mailpit")
        [summary] = listed
        assert summary["Subject"] == "Fax from SUPPLIER to Administrator"
        [part] = [a for a in httpx.get(f"{api}/message/{summary['ID']}").json()["Attachments"]]
        assert part["ContentType"] == "application/pdf"
        content = httpx.get(f"{api}/message/{summary['ID']}/part/{part['PartID']}").content
        assert content == httpx.get(f"{box.url}/data/inbound/{fax['id']}.pdf", auth=box.auth).content
    finally:
        box.close()
        server.stop()
