"""About the FaxFinder (12.5): model, firmware, identity, lines, uptime. Any authenticated user."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from emulator.catalogue import device
from emulator.ffws.http import CurrentCaller, get_box
from emulator.ffws.status.wire import uptime_text
from emulator.wire import el
from emulator.wire.response import xml_response

FIRMWARE_VERSION = "3.0.4"
BUILD_DATE = "2014-06-12"
MULTITECH_OUI = "00:08:00"


@device.route("GET", "/about", provenance="reconstructed")
def view_about(request: Request, caller: CurrentCaller) -> Response:
    """Model, firmware version, build date, serial number, MAC address, hostname, lines and uptime."""
    box = get_box(request)
    lines_tag = box.profile.line_word + "s"
    uptime = int((box.clock.now() - box.started_at).total_seconds())
    about = el(
        "about",
        [
            el("model", box.settings.model),
            el("firmware_version", FIRMWARE_VERSION),
            el("build_date", BUILD_DATE),
            el("serial_number", "EMU" + box.settings.model.replace("-", "") + "0001"),
            el("mac_address", f"{MULTITECH_OUI}:00:00:01"),
            el("hostname", "faxfinder"),
            el(lines_tag, box.settings.line_count),
            el("uptime", uptime_text(uptime)),
        ],
    )
    return xml_response("Success", [about])
