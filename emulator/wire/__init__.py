"""XML in and out: the one hardened parser, the response envelope, time formats and the error type."""

from emulator.wire.errors import FFWSError
from emulator.wire.parse import XNode, parse_xml
from emulator.wire.write import Elem, el, envelope, render_elements

__all__ = ["Elem", "FFWSError", "XNode", "el", "envelope", "parse_xml", "render_elements"]
