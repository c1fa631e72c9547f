"""The one request parser (emulator.wire.parse): hardened, and liberal in what it accepts."""

from __future__ import annotations

import io

import pytest

from emulator.wire import FFWSError, parse_xml
from emulator.wire import parse as parse_module
from emulator.wire.parse import MAX_DEPTH, MAX_ELEMENTS

INVALID = "The provided XML is not valid"


def refused(source, root: str = "a", **kwargs) -> str:
    """Parse expecting a 400; return its message."""
    with pytest.raises(FFWSError) as info:
        parse_xml(source, root=root, **kwargs)
    assert info.value.status == 400
    return info.value.message


def nested(depth: int) -> bytes:
    return b"<a>" + b"<b>" * (depth - 1) + b"x" + b"</b>" * (depth - 1) + b"</a>"


# -- the tree ------------------------------------------------------------------------------------------------------
def test_tree_keeps_tags_texts_and_child_order():
    node = parse_xml(b"<contact><name>N</name><fax_number>1</fax_number><x><y>deep</y></x></contact>", root="contact")
    assert node.tag == "contact"
    assert [c.tag for c in node.children] == ["name", "fax_number", "x"]
    assert node.get("name").text == "N"
    assert node.get("x").get("y").text == "deep"
    assert node.get("missing") is None
    assert node.has("fax_number") and not node.has("organization")


def test_value_is_none_when_absent_and_first_non_blank_of_several():
    node = parse_xml(b"<a><name></name><name> </name><name>second</name><name>third</name><e/></a>", root="a")
    assert node.value("name") == "second"
    assert node.value("e") == ""
    assert node.value("absent") is None
    assert [c.text for c in node.all("name")] == ["", " ", "second", "third"]


def test_all_blank_values_read_as_empty():
    assert parse_xml(b"<a><n/><n> </n></a>", root="a").value("n") == ""


def test_self_closed_and_open_close_empties_are_the_same():
    node = parse_xml(b"<a><x/><y></y></a>", root="a")
    assert node.get("x").text == node.get("y").text == ""
    assert node.get("x").children == node.get("y").children == []


def test_entities_and_character_references_are_decoded():
    node = parse_xml(b"<a><t>A &amp; B &lt;c&gt; &quot;&apos; &#233;&#x41;</t></a>", root="a")
    assert node.get("t").text == "A & B <c> \"' \u00e9A"


def test_comments_and_processing_instructions_are_dropped():
    node = parse_xml(b"<?pi x?><!-- c --><a><!-- c --><b>1</b><?pi y?><c>2</c></a><!-- c -->", root="a")
    assert [c.tag for c in node.children] == ["b", "c"]


def test_namespaces_are_ignored():
    node = parse_xml(b'<x:a xmlns:x="urn:x" xmlns="urn:y"><b>1</b><x:c>2</x:c></x:a>', root="a")
    assert [c.tag for c in node.children] == ["b", "c"]


def test_root_may_be_one_of_several():
    assert parse_xml(b"<b/>", root=("a", "b")).tag == "b"
    assert refused(b"<c/>", root=("a", "b")) == "invalid root element: expected <a> or <b>, got <c>"


def test_wrong_root_is_refused():
    assert refused(b"<user><name>x</name></user>", root="contact") == (
        "invalid root element: expected <contact>, got <user>"
    )


# -- liberal input (13-client-contract R4) -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0" encoding="UTF-8"?>\n<a><b>v</b></a>\n',
        b"<?xml version='1.0' encoding='UTF-8'?><a><b>v</b></a>",
        b"<?xml version='1.0'?><a><b>v</b></a>",
        b"<a><b>v</b></a>",
        b"<?xml version='1.0' encoding='UTF-8'?>\r\n<a>\r\n    <b>v</b>\r\n</a>\r\n",
        b"\r\n\t  \n<?xml version='1.0'?><a><b>v</b></a>",
        b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?><a><b>v</b></a>",
        b"<?xml version='1.0' encoding='ISO-8859-1'?><a><b>v</b></a>",
    ],
    ids=["double", "single", "no-encoding", "none", "crlf", "leading-space", "bom", "latin1"],
)
def test_declarations_and_line_ends(document):
    node = parse_xml(document, root="a")
    assert node.get("b").text == "v"


def test_crlf_inside_text_reads_as_lf():
    assert parse_xml(b"<a><b>one\r\ntwo</b></a>", root="a").get("b").text == "one\ntwo"


def test_streams_parse_like_bytes():
    document = b"<a><b>v</b><c>w</c></a>"
    assert parse_xml(io.BytesIO(document), root="a").get("c").text == "w"


def test_stream_with_more_leading_space_than_one_read():
    document = b" \r\n" * 5000 + b"<a><b>v</b></a>"
    assert parse_xml(io.BytesIO(document), root="a").get("b").text == "v"
    assert parse_xml(document, root="a").get("b").text == "v"


# -- refused documents ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("source", [b"", b"   \r\n ", io.BytesIO(b""), io.BytesIO(b"  \n")])
def test_empty_document(source):
    assert refused(source) == f"{INVALID}: the document is empty"


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        (b"<a><b>x</a>", "Opening and ending tag mismatch"),
        (b"<a><b>x</b>", "Premature end of data"),
        (b"<a/><a/>", "Extra content at the end of the document"),
        (b"text", "Start tag expected"),
        (b"<a>\x01</a>", "PCDATA invalid Char value 1"),
        (b"<a>&#0;</a>", "xmlParseCharRef: invalid xmlChar value 0"),
    ],
)
def test_malformed_documents_name_the_problem(document, detail):
    message = refused(document)
    assert message.startswith(f"{INVALID}: {detail}")


@pytest.mark.parametrize(
    "document",
    [
        b"<a>caf\xe9</a>",
        b"<a>\xff\xfe</a>",
        b"<a>\xc3</a>",
        b"<?xml version='1.0' encoding='UTF-8'?><a>\xed\xa0\x80</a>",
    ],
    ids=["latin1-byte", "garbage", "truncated-sequence", "surrogate"],
)
def test_invalid_utf8_is_400(document):
    assert refused(document).startswith(f"{INVALID}: ")


def test_undefined_entity_is_400_and_says_so():
    message = refused(b"<a><b>&xxe;</b></a>")
    assert message == f"{INVALID}: Entity 'xxe' not defined, line 1, column 12"


def test_an_earlier_error_does_not_leak_into_the_next_message():
    refused(b"<a><b>&xxe;</b></a>")
    assert refused(b"") == f"{INVALID}: the document is empty"
    assert refused(b"<a>") == f"{INVALID}: Premature end of data in tag a line 1, line 1, column 4"


def test_depth_is_capped():
    assert parse_xml(nested(MAX_DEPTH), root="a").tag == "a"
    assert refused(nested(MAX_DEPTH + 1)) == f"{INVALID}: elements nested deeper than {MAX_DEPTH} levels"


def test_element_count_is_capped():
    at_cap = b"<a>" + b"<b/>" * (MAX_ELEMENTS - 1) + b"</a>"
    assert len(parse_xml(at_cap, root="a").children) == MAX_ELEMENTS - 1
    over = b"<a>" + b"<b/>" * MAX_ELEMENTS + b"</a>"
    assert refused(over) == f"{INVALID}: more than {MAX_ELEMENTS} elements"


def test_caps_are_read_when_parsing(monkeypatch):
    monkeypatch.setattr(parse_module, "MAX_ELEMENTS", 3)
    assert refused(b"<a><b/><b/><b/></a>") == f"{INVALID}: more than 3 elements"


# -- hardening: no DTD, no entity expansion, no file or network access ---------------------------------------------
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE a ['
    b'<!ENTITY l0 "ha">'
    + b"".join(b'<!ENTITY l%d "' % i + b"&l%d;" % (i - 1) * 10 + b'">' for i in range(1, 10))
    + b"]><a><b>&l9;</b></a>"
)


@pytest.mark.parametrize("huge", [False, True])
def test_billion_laughs_is_refused(huge):
    assert refused(BILLION_LAUGHS, huge=huge) == f"{INVALID}: a DOCTYPE is not allowed"


@pytest.mark.parametrize(
    "doctype",
    [
        b"<!DOCTYPE a>",
        b'<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd">',
        b'<!DOCTYPE a PUBLIC "-//X//Y" "a.dtd">',
        b"<!DOCTYPE a [<!ELEMENT a ANY>]>",
    ],
)
def test_any_doctype_is_refused(doctype):
    assert refused(doctype + b"<a>x</a>") == f"{INVALID}: a DOCTYPE is not allowed"


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "TOP-SECRET">')
    for document in (
        f'<!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]><a><b>&x;</b></a>',
        f'<!DOCTYPE a [<!ENTITY % p SYSTEM "file://{dtd}"> %p;]><a><b>&leak;</b></a>',
        f'<!DOCTYPE a SYSTEM "file://{dtd}"><a><b>&leak;</b></a>',
    ):
        message = refused(document.encode())
        assert "TOP-SECRET" not in message
        assert message == f"{INVALID}: a DOCTYPE is not allowed"


def test_xinclude_is_not_processed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    document = f'<a xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file://{secret}" parse="text"/></a>'
    node = parse_xml(document.encode(), root="a")
    assert [c.tag for c in node.children] == ["include"]
    assert node.children[0].text == ""


# -- sinks (large text handed out while parsing) -------------------------------------------------------------------
def test_sink_receives_the_text_and_the_node_keeps_its_return_value():
    received = []

    def store(text: str) -> str:
        received.append(text)
        return f"ref{len(received)}"

    document = b"<a><att><content>QUJD</content></att><att><content>REVG</content></att><content>top</content></a>"
    node = parse_xml(document, root="a", sinks={"content": store})
    assert received == ["QUJD", "REVG", "top"]
    contents = [att.get("content") for att in node.all("att")]
    assert [c.ref for c in contents] == ["ref1", "ref2"]
    assert [c.text for c in contents] == ["", ""]


def test_sink_is_not_used_for_the_root_or_an_element_with_children():
    calls = []
    node = parse_xml(b"<content><content><x>1</x></content></content>", root="content", sinks={"content": calls.append})
    assert calls == []
    assert node.get("content").get("x").text == "1"


def test_huge_text_parses_with_huge():
    text = b"A" * (11 * 1024 * 1024)  # above libxml2's 10 MB text limit without huge_tree
    node = parse_xml(b"<a><content>" + text + b"</content></a>", root="a", sinks={"content": len}, huge=True)
    assert node.get("content").ref == len(text)
