"""The grammar of fax addresses (T.37 / RFC 2304 and the FaxFinder's options), read liberally as the guides' own
examples require."""

from __future__ import annotations

import pytest

from emulator.mail.t37 import AddressError, fax_number, is_fax_address, local_part, parse_fax_address


@pytest.mark.parametrize(
    ("address", "number"),
    [
        ("FAX=+111-222-3333@192.168.2.1", "1112223333"),  # the guide's own samples
        ("FAX=111-222-3333@example.test", "1112223333"),
        ("FAX=1234/INLINE-COMMENTS=false@faxfinder.example.test", "1234"),
        ("/FAX=555.1234/@x", "5551234"),
        ('"FAX=9c1 (218) 555-1234"@x', "9,12185551234"),
        ("<FAX=9s555a1234c#12@x>", "9;555@1234,#12"),
        ("fax=5551234@x", "5551234"),
    ],
)
def test_numbers_as_dialled(address, number):
    assert is_fax_address(address)
    assert parse_fax_address(address).fax_number == number


def test_every_option():
    parsed = parse_fax_address(
        "FAX=5551234/T33S=42/COVER-PAGE-ENABLED=1/COVER-PAGE-NAME=mts_template2.pdf/ATTN=Jo Smith/ORG=Acme (HQ)"
        "/FAX-PRIORITY=5/INLINE-COMMENTS=FALSE/RECEIPT=Always/X-UNKNOWN=1@box"
    )
    assert (parsed.subaddress, parsed.cover_enabled, parsed.cover_name) == ("42", True, "mts_template2.pdf")
    assert (parsed.attn, parsed.org, parsed.priority) == ("Jo Smith", "Acme (HQ)", 5)
    assert (parsed.inline_comments, parsed.receipt, parsed.ignored) == (False, "always", ["X-UNKNOWN=1"])


def test_a_value_may_hold_a_slash():
    assert parse_fax_address("FAX=5551234/ATTN=Smith/Sales/ORG=A/B@x").attn == "Smith/Sales"
    assert parse_fax_address("FAX=5551234/ATTN=Smith/Sales/ORG=A/B@x").org == "A/B"


def test_defaults():
    parsed = parse_fax_address("FAX=5551234@x")
    assert (parsed.cover_enabled, parsed.cover_name, parsed.priority, parsed.receipt) == (None, None, None, None)
    assert parsed.inline_comments is True and parsed.subaddress == "" and parsed.ignored == []


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("someone@x", "not a fax address"),
        ("FAX=1/FAX=2@x", "one FAX=number"),
        ("ATTN=Jo@x", "no FAX=number"),
        ("FAX=+555 1234@x", "may not hold ' '"),
        ("FAX=---@x", "no digits to dial"),
        ("FAX=1/FAX-PRIORITY=x@x", "FAX-PRIORITY=x"),
        ("FAX=1/INLINE-COMMENTS=yes@x", "must be true or false"),
        ("FAX=1/COVER-PAGE-NAME=@x", "COVER-PAGE-NAME: empty"),
        ("FAX=1/T33S=" + "1" * 21 + "@x", "1 to 20 digits"),
        ("FAX=1/ATTN=" + "a" * 256 + "@x", "longer than 255"),
    ],
)
def test_refusals_say_why(address, why):
    with pytest.raises(AddressError) as caught:
        parse_fax_address(address)
    assert why in str(caught.value)


def test_local_part_and_number_helpers():
    assert local_part('<"FAX=1 \\"2\\""@host>') == 'FAX=1 "2"'
    assert not is_fax_address("faxes@example.com")
    assert fax_number("+1.218.555.1234") == "12185551234"
