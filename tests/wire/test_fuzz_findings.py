"""Regression tests for what `make fuzz` found."""

import pytest

from emulator.wire import FFWSError, parse_xml


@pytest.mark.parametrize("body", [b"<a:b></a:b>", b"<a:contact><a:name>x</a:name></a:contact>"])
def test_an_undeclared_namespace_prefix_is_a_400_not_a_crash(body):
    # Found by tests/fuzz/fuzz_parser.py: lxml keeps "a:b" as the tag, which QName() refused with a ValueError.
    with pytest.raises(FFWSError) as caught:
        parse_xml(body, root="contact")
    assert caught.value.status == 400


def test_a_declared_namespace_prefix_is_read_by_local_name():
    node = parse_xml(b'<a:contact xmlns:a="urn:x"><a:name>x</a:name></a:contact>', root="contact")
    assert node.tag == "contact" and node.value("name") == "x"
