"""Hostile XML and oversized bodies: refused with a 4xx and an XML message, never resolved, never a 5xx."""

import pytest

from tests.conftest import assert_error, box_state

INVALID = "The provided XML is not valid"


def _refused(client, body, path="/ffws/v1/contacts/admin"):
    before = box_state(client.box)
    response = client.post(path, body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/xml"
    assert box_state(client.box) == before
    return response


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE contact [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE contact [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>',
        '<!DOCTYPE contact SYSTEM "http://127.0.0.1:9/contact.dtd">',
        '<!DOCTYPE contact [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>',
    ],
)
def test_external_entities_and_dtds_are_refused_unresolved(client, doctype):
    body = f'<?xml version="1.0"?>{doctype}<contact><name>&x;</name></contact>'
    response = _refused(client, body)
    assert "root:" not in response.text
    assert response.text.count("<message>") == 1
    assert INVALID in response.text


def test_billion_laughs_is_refused(client):
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    body = f"<?xml version='1.0'?><!DOCTYPE contact [{entities}]><contact><name>&a9;</name></contact>"
    response = _refused(client, body)
    assert "a DOCTYPE is not allowed" in response.text
    assert len(response.content) < 500


def test_deep_nesting_is_capped(client):
    body = "<contact>" + "<x>" * 5000 + "</x>" * 5000 + "</contact>"
    assert INVALID in _refused(client, body).text


def test_deep_nesting_in_a_schedule_fax_is_capped(client):
    body = "<schedule_fax>" + "<x>" * 100 + "</x>" * 100 + "</schedule_fax>"
    assert "nested deeper than 32 levels" in _refused(client, body, "/ffws/v1/ofax").text


def test_invalid_utf8_is_refused(client):
    _refused(client, b"<contact><name>\xff\xfe\xfa</name></contact>")


def test_too_many_elements_are_refused(client):
    body = "<contact>" + "<unknown/>" * 60_000 + "</contact>"
    assert "more than 50000 elements" in _refused(client, body).text


def test_a_declared_oversized_body_is_refused_before_reading(client):
    limit = client.box.profile.max_request_bytes
    before = box_state(client.box)
    response = client.post("/ffws/v1/ofax", b"<schedule_fax/>", headers={"content-length": str(limit + 1)})
    assert_error(response, 413, f"Request Entity Too Large: the limit is {limit} bytes")
    assert box_state(client.box) == before


@pytest.mark.parametrize("path", ["/ffws/v1/ofax", "/ffws/v1/contacts/admin", "/ffws/v1/users"])
def test_a_streamed_oversized_body_is_refused_while_reading(client, path):
    limit = client.box.profile.max_request_bytes
    sent = 0

    async def chunks():
        nonlocal sent
        chunk = b"<x>" + b"A" * (1024 * 1024)
        while sent <= limit + len(chunk):
            sent += len(chunk)
            yield chunk

    before = box_state(client.box)
    response = client.post(path, chunks())
    assert_error(response, 413, f"Request Entity Too Large: the limit is {limit} bytes")
    assert box_state(client.box) == before
    incoming = client.box.store.incoming
    assert not incoming.exists() or not any(incoming.iterdir())  # no spooled upload left behind
