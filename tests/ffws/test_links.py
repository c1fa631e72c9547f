"""Links a client can follow: --public-url, the HTTPS port, plain http://HOST:PORT, or the device's own form."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from lxml import etree

from tests.conftest import ADMIN, FFClient, make_box
from tests.ffws.clients import OFAX, schedule_body


def _links(client: FFClient, base: str) -> list[str]:
    """Schedule through ``base`` (scheme, host and port as the client reached the box); the answer's links."""
    loop = asyncio.new_event_loop()
    try:

        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app), base_url=base) as http:
                return await http.post(OFAX, content=schedule_body(), auth=ADMIN)

        response = loop.run_until_complete(call())
    finally:
        loop.close()
    assert response.status_code == 201, response.text
    entry = etree.fromstring(response.content).find("fax_entry")
    return [entry.findtext(tag) for tag in ("fax_entry_url", "fax_url", "preview")]


@pytest.mark.parametrize(
    ("overrides", "reached", "expected"),
    [
        ({}, "https://box.test:8443", "https://box.test:8443/ffws/v1"),
        ({}, "http://box.test:8080", "http://box.test:8080/ffws/v1"),
        ({"tls_port": 8443}, "http://box.test:8080", "https://box.test:8443/ffws/v1"),
        ({"tls_port": 443}, "http://box.test:8080", "https://box.test/ffws/v1"),
        ({"tls_port": 8443}, "http://[::1]:8080", "https://[::1]:8443/ffws/v1"),
        ({"links": "device"}, "http://box.test:8080", "https://box.test/ffws/v1"),
        (
            {"public_url": "https://fax.example.com:9443/"},
            "http://box.test:8080",
            "https://fax.example.com:9443/ffws/v1",
        ),
    ],
    ids=["https as reached", "plain http, no TLS", "TLS port", "TLS on 443", "IPv6", "device form", "public url"],
)
def test_links_start_with_a_base_the_client_can_follow(template_dir, tmp_path, overrides, reached, expected):
    client = FFClient(make_box(template_dir, tmp_path / "box", **overrides))
    try:
        entry_url, fax_url, preview = _links(client, reached)
    finally:
        client.close()
    assert entry_url == expected + "/ofax/00000001/0000"
    assert fax_url == expected + "/ofax/00000001"
    assert preview == expected + "/data/preview/00000001-0000.pdf"


def test_a_public_url_that_is_not_a_base_is_refused():
    from pydantic import ValidationError

    from emulator.settings import Settings

    for bad in ("ftp://x", "https://", "https://h/?q=1", "https://h:99999"):
        with pytest.raises(ValidationError):
            Settings(public_url=bad)
