"""Passwords never reach the journal, whatever the body's encoding, namespaces or CDATA (issue 10, finding 8).

Each bypass found is first shown to be a real password (the box takes it: the user logs in with it, or the box
refuses the body), then looked for in every view of the journal: the list, the entry whole, and the raw JSON, with
NUL characters removed (a UTF-16 body read as UTF-8 spells the password with NULs between its letters).
"""

from __future__ import annotations

import codecs
import json

import pytest

from emulator.journal import KEEP_BODY
from tests.ffws.clients import create_user

JOURNAL = "/_emulator/journal"
SECRET = "Qz7-hidden-Pw"
CAROL = "/ffws/v1/users/carol"


def views(client) -> list[str]:  # noqa: ANN001
    """Every way the journal shows its entries, as text with NULs and their JSON escapes removed."""
    listed = client.get(JOURNAL)
    assert listed.status_code == 200, listed.text
    texts = [listed.text]
    for entry in listed.json()["entries"]:
        whole = client.get(f"{JOURNAL}/{entry['id']}")
        assert whole.status_code == 200, whole.text
        texts += [whole.text, whole.json()["request_body"]]
    return [t.replace("\\u0000", "").replace("\x00", "") for t in texts]


def assert_hidden(client, *secrets: str) -> None:  # noqa: ANN001
    for text in views(client):
        for secret in secrets:
            assert secret not in text
            assert json.dumps(secret)[1:-1] not in text


def last_put(client) -> dict:  # noqa: ANN001
    """The last PUT recorded, whole."""
    entry = client.get(JOURNAL, params={"limit": 1, "method": "PUT"}).json()["entries"][0]
    return client.get(f"{JOURNAL}/{entry['id']}").json()


def last_request_body(client) -> str:  # noqa: ANN001
    return last_put(client)["request_body"]


def logs_in(client, password: str) -> bool:  # noqa: ANN001
    return client.get("/ffws/v1/verify", auth=("carol", password)).status_code == 200


UTF16 = '<?xml version="1.0" encoding="UTF-16"?>'


@pytest.mark.parametrize(
    ("declaration", "encoding", "bom"),
    [
        (UTF16, "utf-16", b""),  # Python writes a little-endian byte order mark
        (UTF16, "utf-16-be", codecs.BOM_UTF16_BE),
        (UTF16, "utf-16-le", b""),  # no mark: the box reads the declaration
        (UTF16, "utf-16-be", b""),
        ("", "utf-16", b""),  # a mark and no declaration
    ],
    ids=["bom-le", "bom-be", "declared-le", "declared-be", "bom-only"],
)
def test_a_utf16_body_has_its_password_hidden(client, declaration, encoding, bom):
    create_user(client, "carol", "first-password")
    body = bom + f"{declaration}<user><name>Carol C</name><password>{SECRET}</password></user>".encode(encoding)
    response = client.put(CAROL, body)
    assert response.status_code == 200, response.text
    assert logs_in(client, SECRET)  # the box read the password: it was a real one
    assert_hidden(client, SECRET)
    shown = last_request_body(client)
    assert "<name>Carol C</name><password>[redacted]</password>" in shown  # readable, not UTF-16 read as UTF-8


def test_a_declared_encoding_that_spells_the_name_otherwise_is_read_as_the_box_reads_it(client):
    create_user(client, "carol", "first-password")
    body = f'<?xml version="1.0" encoding="UTF-7"?><user><+AHA-assword>{SECRET}</+AHA-assword></user>'
    assert client.put(CAROL, body).status_code == 200
    assert logs_in(client, SECRET)  # +AHA- is a "p" in UTF-7: the box took it as carol's password
    assert_hidden(client, SECRET)
    assert last_request_body(client) == "<user><password>[redacted]</password></user>"


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-le", "utf-32-be"])
def test_a_utf32_body_has_its_password_hidden(client, encoding):
    create_user(client, "carol", "first-password")
    body = f'<?xml version="1.0" encoding="UTF-32"?><user><password>{SECRET}</password></user>'.encode(encoding)
    response = client.put(CAROL, body)
    # The box reads UTF-32 or refuses it; either way the client meant a password and the journal must not show it.
    assert response.status_code in (200, 400), response.text
    assert logs_in(client, SECRET) is (response.status_code == 200)
    assert_hidden(client, SECRET)


@pytest.mark.parametrize(
    "body",
    [
        f'<user xmlns:x="urn:x"><x:password>{SECRET}</x:password></user>',
        f'<x:user xmlns:x="urn:x"><x:password>{SECRET}</x:password></x:user>',
        f'<user xmlns="urn:ff"><password>{SECRET}</password></user>',
    ],
    ids=["prefixed", "all-prefixed", "default-namespace"],
)
def test_a_namespaced_password_is_hidden(client, body):
    create_user(client, "carol", "first-password")
    assert client.put(CAROL, body).status_code == 200
    assert logs_in(client, SECRET)  # the box takes the local name: this is carol's password now
    assert_hidden(client, SECRET)
    assert "password>[redacted]</" in last_request_body(client)


def test_an_undeclared_prefix_refused_by_the_box_still_hides_the_password(client):
    create_user(client, "carol", "first-password")
    response = client.put(CAROL, f"<user><x:password>{SECRET}</x:password></user>")
    assert response.status_code == 400
    assert logs_in(client, "first-password")
    assert_hidden(client, SECRET)


def test_a_cdata_section_holding_a_closing_tag_is_hidden_whole(client):
    create_user(client, "carol", "first-password")
    password = f"a</password>{SECRET}"
    response = client.put(CAROL, f"<user><password><![CDATA[{password}]]></password><name>C</name></user>")
    assert response.status_code == 200, response.text
    assert logs_in(client, password)  # the whole CDATA section is the password, closing tag and all
    assert_hidden(client, SECRET)
    assert last_request_body(client) == "<user><password>[redacted]</password><name>C</name></user>"


def test_a_utf16_password_cut_by_the_truncation_of_a_long_body_is_hidden(client):
    create_user(client, "carol", "first-password")
    padding = " " * (KEEP_BODY // 2 - 20)  # in UTF-16 the cut falls inside the password
    response = client.put(CAROL, f"<user>{padding}<password>{SECRET * 4}</password></user>".encode("utf-16"))
    assert response.status_code == 200, response.text
    assert last_put(client)["request_truncated"] is True
    assert_hidden(client, SECRET[:6])
    assert last_request_body(client).endswith("<password>[redacted]</password></user>")


@pytest.mark.parametrize(
    "body",
    [
        f"<user><password>{SECRET}</passwrd></user>",
        f'<!DOCTYPE user [<!ENTITY p "{SECRET}">]><user><password>&p;</password></user>',
        f"<user><password>{SECRET}&undefined;</password></user>",
        f"<user><name>&undefined;</name><password>{SECRET}</password></user>",
    ],
    ids=["mismatched-tag", "doctype-entity", "undefined-entity", "error-before"],
)
def test_a_body_the_box_refuses_does_not_show_its_password(client, body):
    create_user(client, "carol", "first-password")
    response = client.put(CAROL, body)
    assert response.status_code == 400
    assert logs_in(client, "first-password")
    assert_hidden(client, SECRET)


def test_a_password_attribute_is_hidden(client):
    create_user(client, "carol", "first-password")
    assert client.put(CAROL, f'<user password="{SECRET}"><name>C</name></user>').status_code == 200
    assert_hidden(client, SECRET)
    assert last_request_body(client) == '<user password="[redacted]"><name>C</name></user>'


def test_a_body_without_a_password_is_shown_as_sent(client):
    create_user(client, "carol", "first-password")
    body = "<?xml version='1.0'?>\n<user>  <name>The password is on a note</name><!-- kept --></user>"
    assert client.put(CAROL, body).status_code == 200
    assert last_request_body(client) == body  # the word alone is no password: declaration, comment and all
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><user><name>Ünïcode</name></user>'
    assert client.put(CAROL, utf16.encode("utf-16")).status_code == 200
    assert last_request_body(client) == utf16  # read in its own encoding
