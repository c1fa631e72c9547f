"""The response writer (emulator.wire.write): the device's envelope and element text, byte for byte."""

from __future__ import annotations

import pytest

from emulator.wire import FFWSError, el, envelope, parse_xml, render_elements
from emulator.wire.errors import INVALID_XML, invalid
from emulator.wire.write import DECLARATION, text_of


def test_envelope_with_message_only():
    assert envelope("Verified") == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <message>Verified</message>\n</response>\n'
    )


def test_declaration_uses_double_quotes():
    assert DECLARATION == b'<?xml version="1.0" encoding="UTF-8"?>\n'
    assert envelope("x").startswith(DECLARATION)


def test_envelope_with_nested_elements_and_empties():
    payload = [
        el("contact", [el("contact_url", "https://h/ffws/v1/contacts/admin/1"), el("name", "N"), el("fax_number")]),
        el("oids", ""),
    ]
    assert envelope("Success", payload).decode() == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<response>\n"
        "  <message>Success</message>\n"
        "  <contact>\n"
        "    <contact_url>https://h/ffws/v1/contacts/admin/1</contact_url>\n"
        "    <name>N</name>\n"
        "    <fax_number></fax_number>\n"
        "  </contact>\n"
        "  <oids></oids>\n"
        "</response>\n"
    )


def test_empties_are_never_self_closed():
    out = render_elements([el("a"), el("b", ""), el("c", None), el("d", [])])
    assert "/>" not in out
    assert out == "<a></a>\n<b></b>\n<c></c>\n<d>\n</d>\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (None, ""), (0, "0"), (3, "3"), (-1, "-1"), ("", ""), ("x", "x")],
)
def test_text_of_values(value, text):
    assert text_of(value) == text
    assert render_elements([el("v", value)]) == f"<v>{text}</v>\n"


def test_markup_characters_are_escaped():
    assert render_elements([el("n", "A & B <c> > d")]) == "<n>A &amp; B &lt;c&gt; &gt; d</n>\n"


def test_quotes_and_non_ascii_are_written_as_is():
    assert envelope("Success", [el("n", '"it\'s" café ✓')]).decode().count('"it\'s" café ✓') == 1


def test_control_characters_are_dropped_but_tab_and_newline_kept():
    out = render_elements([el("n", "a\x00b\x01c\x08d\x0be\x0cf\x1fg\th\ni")])
    assert out == "<n>abcdefg\th\ni</n>\n"


def test_carriage_return_survives_a_round_trip():
    body = envelope("Success", [el("n", "one\r\ntwo")])
    assert b"one&#13;\ntwo" in body
    assert parse_xml(body, root="response").get("n").text == "one\r\ntwo"


def test_round_trip_of_awkward_text():
    text = "A & B <c> ]]> \"q\" 'a' café \t end"
    assert parse_xml(envelope(text), root="response").value("message") == text


def test_render_at_depth():
    assert render_elements([el("a", [el("b", "1")])], depth=2) == "    <a>\n      <b>1</b>\n    </a>\n"


def test_envelope_bytes_are_utf8():
    assert "é".encode() in envelope("é")


# -- errors ----------------------------------------------------------------------------------------------------------
def test_ffws_error_carries_status_message_and_headers():
    error = FFWSError(401, "Unauthorized", {"WWW-Authenticate": 'Basic realm="X"'})
    assert (error.status, error.message, error.headers) == (
        401,
        "Unauthorized",
        {"WWW-Authenticate": 'Basic realm="X"'},
    )
    assert str(error) == "Unauthorized"
    assert repr(error) == "FFWSError(401, 'Unauthorized')"
    assert FFWSError(404, "x").headers == {}


def test_invalid_uses_the_device_wording():
    error = invalid("name", "empty")
    assert (error.status, error.message) == (400, "invalid name: empty")
    assert INVALID_XML == "The provided XML is not valid."
